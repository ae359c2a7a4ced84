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

{{/* The names clients reach the Service by: the host certificates'
     principals when ssh.principals names any. */}}
{{- define "boxinit.principals" -}}
{{- $svc := include "boxinit.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $names := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) }}
{{- concat $names .Values.ssh.principals | uniq | join " " }}
{{- end }}

{{/* "true" when rcEnv sets DEFAULT_USER itself: the layout before
     cloud-server 0.8, where rcEnv was the whole rc.env. */}}
{{- define "boxinit.rcEnvLayout" -}}
{{- if regexMatch "(?m)^[ \t]*(export[ \t]+)?DEFAULT_USER=" (.Values.rcEnv | default "") }}true{{ end }}
{{- end }}

{{/* The settings cloud-server 0.8-0.16 wrote into rc.env from its values,
     with 0.16's defaults (none in the rcEnv layout), as a list of
     [NAME, value] pairs. */}}
{{- define "boxinit.settings" -}}
{{- $v := .Values }}
{{- $old := include "boxinit.rcEnvLayout" . }}
{{- $uid := "" }}
{{- if kindIs "string" $v.userID }}{{ $uid = $v.userID }}
{{- else if not (kindIs "invalid" $v.userID) }}{{ $uid = $v.userID | int64 | toString }}{{ end }}
{{- $settings := list
    (list "DEFAULT_USER" ($v.user | default (ternary "" "human" (eq $old "true"))))
    (list "DEFAULT_USER_ID" ($uid | default (ternary "" "10000" (eq $old "true"))))
    (list "DEFAULT_KEY" ($v.userSSHKey | default ""))
    (list "DEFAULT_KEY_IMPORT" ($v.userSSHImport | default ""))
    (list "SET_HOSTNAME" ($v.hostName | default (ternary "" "myserver" (eq $old "true"))))
    (list "CUSTOMIZE_REPO" ($v.customizeRepo | default ""))
    (list "CUSTOMIZE_REPO_COMMAND" ($v.customizeRepoCommand | default ""))
    (list "CUSTOMIZE_COMMAND" ($v.customizeCommand | default "")) }}
{{- toJson $settings }}
{{- end }}

{{/* rc.env: the settings (single-quoted: boxinit and bash take them
     verbatim), then rcEnv, which may override them -- as 0.16 did. */}}
{{- define "boxinit.rcEnv" -}}
{{- $old := include "boxinit.rcEnvLayout" . }}
{{- $lines := list }}
{{- range include "boxinit.settings" . | fromJsonArray }}
{{- $value := index . 1 }}
{{- if or $value (ne $old "true") }}
{{- $lines = append $lines (printf "%s='%s'" (index . 0) (replace "'" "'\"'\"'" $value)) }}
{{- end }}
{{- end }}
{{- if $lines }}
{{- printf "# From the chart's values (user, userID, hostName, ...); rcEnv follows.\n%s\n" (join "\n" $lines) }}
{{- end }}
{{- .Values.rcEnv }}
{{- end }}

{{/* The host name boot sets: rcEnv's last SET_HOSTNAME, else hostName. */}}
{{- define "boxinit.hostname" -}}
{{- $name := "" }}
{{- range include "boxinit.settings" . | fromJsonArray }}{{ if eq (index . 0) "SET_HOSTNAME" }}{{ $name = index . 1 }}{{ end }}{{ end }}
{{- range regexFindAll "(?m)^[ \t]*(export[ \t]+)?SET_HOSTNAME=.*$" (.Values.rcEnv | default "") -1 }}
{{- $name = regexReplaceAll "^[ \t]*(export[ \t]+)?SET_HOSTNAME=[\"']?([^\"' \t]*)[\"']?[ \t]*$" . "${2}" }}
{{- end }}
{{- $name }}
{{- end }}

{{/* "true" when the host certificates name no host (ssh.principals empty
     and rcEnv does not set SSH_HOST_PRINCIPALS): valid for any name. */}}
{{- define "boxinit.anyName" -}}
{{- if not (or .Values.ssh.principals (regexMatch "(?m)^[ \t]*(export[ \t]+)?SSH_HOST_PRINCIPALS=" (.Values.rcEnv | default ""))) }}true{{ end }}
{{- end }}

{{/* "true" when there is a CA key: the chart's Secret or an existing one. */}}
{{- define "boxinit.hasCA" -}}
{{- if or .Values.ssh.ca_key .Values.ssh.existingSecret }}true{{ end }}
{{- end }}

{{/* The Secret of the CA key. */}}
{{- define "boxinit.caSecret" -}}
{{- .Values.ssh.existingSecret | default (include "boxinit.fullname" .) }}
{{- end }}

{{/* Claims: /home, then extraMounts; each with the name of its volume in
     the pod and of its claim. */}}
{{- define "boxinit.claims" -}}
{{- $fullname := include "boxinit.fullname" . }}
{{- $claims := list (dict "volume" "home" "path" "/home" "size" .Values.homeSize "className" (.Values.homeStorageClassName | default "") "claim" (printf "%s-home" $fullname) "existing" ((.Values.home).existingClaim | default "")) }}
{{- range .Values.extraMounts }}
{{- if or (not .name) (not .path) }}
{{- fail (printf "extraMounts: every entry needs a name and a path, got %v" .) }}
{{- end }}
{{- $claims = append $claims (dict "volume" (printf "extramount-%s" .name) "path" .path "size" (toString (.size | default "1Gi")) "className" (.className | default "") "claim" (printf "%s-%s" $fullname .name) "existing" (.existingClaim | default "")) }}
{{- end }}
{{- toJson $claims }}
{{- end }}

{{- define "boxinit.claimSpec" -}}
accessModes:
  - ReadWriteOnce
volumeMode: Filesystem
resources:
  requests:
    storage: {{ .size | quote }}
{{- with .className }}
storageClassName: {{ . | quote }}
{{- end }}
{{- end }}

{{/* "true" when the ssh ConfigMap exists: sshd_config, the CA's public key,
     or (podman variant only) the CA key itself. */}}
{{- define "boxinit.sshConfigMap" -}}
{{- if or .Values.ssh.sshd_config .Values.ssh.ca_key_pub (and .Values.podmanKubePlay .Values.ssh.ca_key) }}true{{ end }}
{{- end }}

{{/* The sha256 of cloud-server's default rcUser and rcLocal (the same in
     0.14.1 to 0.16.0), trimmed: copied values files have them verbatim. */}}
{{- define "boxinit.oldDefaultRcUser" -}}377694ba8540ee00f672c8253a9af7b2dc157bd34a13db1691e3c6b014eb0c50{{- end }}
{{- define "boxinit.oldDefaultRcLocal" -}}7fbf9e2aa39ae430ef69ab441060276f7e5c3c8bc8b16736481ef9b896ed5a2b{{- end }}

{{/* The rcUser that runs: none when it is cloud-server's default. */}}
{{- define "boxinit.rcUser" -}}
{{- if and .Values.rcUser (ne (trim .Values.rcUser | sha256sum) (include "boxinit.oldDefaultRcUser" .)) }}{{ .Values.rcUser }}{{ end }}
{{- end }}
