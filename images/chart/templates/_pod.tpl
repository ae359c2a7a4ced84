{{/* The pod of the Deployment. */}}
{{- define "boxinit.podSpec" }}
{{- $ := . }}
{{- $claims := include "boxinit.claims" $ | fromJsonArray }}
{{- $fullname := include "boxinit.fullname" $ }}
{{- $hostname := include "boxinit.hostname" $ }}
{{- $kubePlay := $.Values.podmanKubePlay }}
{{- $rcDir := "/etc/boxinit-chart/rc" }}
{{- with $.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if regexMatch "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" $hostname }}
# The kernel's host name, set by the runtime: no privilege needed.
hostname: {{ $hostname }}
{{- end }}
{{- if not $.Values.hostUsers }}
# A user namespace: root in the container is an unprivileged uid on the node.
hostUsers: false
{{- end }}
serviceAccountName: {{ include "boxinit.serviceAccountName" $ }}
automountServiceAccountToken: {{ $.Values.serviceAccount.automount }}
{{- with $.Values.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
# boxinit stops everything within its grace period; the kubelet waits longer.
terminationGracePeriodSeconds: {{ add $.Values.gracePeriodSeconds 5 }}
containers:
  - name: {{ $.Chart.Name }}
    image: "{{ $.Values.image.repository }}:{{ $.Values.image.tag | default $.Chart.AppVersion }}"
    imagePullPolicy: {{ $.Values.image.pullPolicy }}
    # ENTRYPOINT is boxinit (the image's); this is its main command.
    args:
      - /usr/sbin/sshd
      - -D
      - -e
      {{- if and $kubePlay $.Values.ssh.sshd_config }}
      - -f
      - /etc/ssh/ca/sshd_config
      {{- end }}
    env:
      - name: BOXINIT_GRACE_PERIOD
        value: "{{ $.Values.gracePeriodSeconds }}s"
      {{- if include "boxinit.hasCA" $ }}
      {{- if include "boxinit.anyName" $ }}
      # Host certificates without principals: valid for any name, as
      # cloud-server's (set ssh.principals to restrict them).
      - name: SSH_HOST_CERT_ANY_NAME
        value: "yes"
      {{- else }}
      - name: SSH_HOST_PRINCIPALS
        value: {{ include "boxinit.principals" $ | quote }}
      {{- end }}
      {{- end }}
      {{- if $kubePlay }}
      - name: BOXINIT_ENV_FILE
        value: {{ $rcDir }}/rc.env
      - name: BOXINIT_USER_SCRIPT
        value: {{ $rcDir }}/rc.user
      {{- if $.Values.crontab }}
      - name: BOXINIT_CRON
        value: /etc/crontab,/etc/cron.d,{{ $rcDir }}/crontab
      {{- end }}
      {{- end }}
      {{- with $.Values.extraEnv }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- if not $kubePlay }}{{/* podman would publish it on the host's port 22 */}}
    ports:
      - name: ssh
        containerPort: 22
        protocol: TCP
      {{- range $.Values.extraPorts }}
      - name: {{ .name }}
        containerPort: {{ .port }}
        protocol: {{ .proto | default "TCP" }}
      {{- end }}
    {{- end }}
    # Boot (user, keys, customization) may take minutes: liveness waits for it.
    startupProbe:
      exec:
        command: [/sbin/boxinit, status, --ready]
      periodSeconds: 2
      failureThreshold: 300
    readinessProbe:
      exec:
        command: [/sbin/boxinit, status, --ready]
      periodSeconds: 10
    livenessProbe:
      tcpSocket:
        port: 22
      periodSeconds: 20
    {{- with $.Values.securityContext }}
    securityContext:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $.Values.resources }}
    resources:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    volumeMounts:
      {{- if $kubePlay }}
      - name: rc
        mountPath: {{ $rcDir }}
        readOnly: true
      {{- else }}
      - name: rc
        mountPath: /etc/rc.env
        subPath: rc.env
        readOnly: true
      {{- if include "boxinit.rcUser" $ }}
      - name: rc
        mountPath: /etc/rc.user
        subPath: rc.user
        readOnly: true
      {{- end }}
      {{- if $.Values.crontab }}
      - name: rc
        mountPath: /etc/cron.d/{{ $fullname }}
        subPath: crontab
        readOnly: true
      {{- end }}
      {{- end }}
      {{- if $.Values.hooks }}
      - name: hooks
        mountPath: /etc/boxinit.d
        readOnly: true
      {{- end }}
      {{- if $kubePlay }}
      {{- if include "boxinit.sshConfigMap" $ }}
      - name: ssh
        mountPath: /etc/ssh/ca
        readOnly: true
      {{- end }}
      {{- else }}
      {{- if $.Values.ssh.sshd_config }}
      - name: ssh
        mountPath: /etc/ssh/sshd_config
        subPath: sshd_config
        readOnly: true
      {{- end }}
      {{- if $.Values.ssh.ca_key_pub }}
      - name: ssh
        mountPath: /etc/ssh/ca/ca_key.pub
        subPath: ca_key.pub
        readOnly: true
      {{- end }}
      {{- if $.Values.ssh.existingSecret | and (not $.Values.ssh.ca_key_pub) }}
      - name: ssh-ca
        mountPath: /etc/ssh/ca/ca_key.pub
        subPath: ca_key.pub
        readOnly: true
      {{- end }}
      {{- if include "boxinit.hasCA" $ }}
      # The CA key: read by boxinit's sshd step only, to sign the host keys.
      - name: ssh-ca
        mountPath: /etc/ssh/ca/ca_key
        subPath: ca_key
        readOnly: true
      {{- end }}
      {{- end }}
      {{- range $claims }}
      - name: {{ .volume }}
        mountPath: {{ .path }}
      {{- end }}
volumes:
  - name: rc
    configMap:
      name: {{ $fullname }}-rc
  {{- if $.Values.hooks }}
  - name: hooks
    configMap:
      name: {{ $fullname }}-hooks
      defaultMode: 0755
  {{- end }}
  {{- if include "boxinit.sshConfigMap" $ }}
  - name: ssh
    configMap:
      name: {{ $fullname }}-ssh
  {{- end }}
  {{- if and (include "boxinit.hasCA" $) (not $kubePlay) }}
  - name: ssh-ca
    secret:
      secretName: {{ include "boxinit.caSecret" $ }}
      defaultMode: 0400
  {{- end }}
  {{- range $claims }}
  - name: {{ .volume }}
    persistentVolumeClaim:
      claimName: {{ .existing | default .claim }}
  {{- end }}
{{- with $.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
