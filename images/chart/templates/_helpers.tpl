{{- define "boxinit.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "boxinit.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "boxinit.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "boxinit.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "boxinit.selectorLabels" -}}
app.kubernetes.io/name: {{ include "boxinit.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "boxinit.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "boxinit.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The names clients reach the Service by: the host certificates' principals. */}}
{{- define "boxinit.principals" -}}
{{- $svc := include "boxinit.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $names := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) }}
{{- concat $names .Values.ssh.principals | uniq | join " " }}
{{- end }}

{{/* Claims of the StatefulSet: /home, then extraMounts. */}}
{{- define "boxinit.claims" -}}
{{- $claims := list (dict "name" "home" "path" "/home" "size" .Values.homeSize "className" .Values.homeStorageClassName) }}
{{- range .Values.extraMounts }}
{{- if or (not .name) (not .path) }}
{{- fail (printf "extraMounts: every entry needs a name and a path, got %v" .) }}
{{- end }}
{{- $claims = append $claims (dict "name" .name "path" .path "size" (default "1Gi" .size) "className" (default "" .className)) }}
{{- end }}
{{- toJson $claims }}
{{- end }}

{{- define "boxinit.claimSpec" -}}
accessModes: [ReadWriteOnce]
{{- with .className }}
storageClassName: {{ . | quote }}
{{- end }}
resources:
  requests:
    storage: {{ .size | quote }}
{{- end }}

{{/* "true" when the ssh ConfigMap exists: sshd_config, the CA's public key,
     or (podman variant only) the CA key itself. */}}
{{- define "boxinit.sshConfigMap" -}}
{{- if or .Values.ssh.sshd_config .Values.ssh.ca_key_pub (and .Values.podmanKubePlay .Values.ssh.ca_key) }}true{{ end }}
{{- end }}
