#!/bin/bash
# Installs the unpacked package on the template's EC2 instance (Debian 12): run as root by the
# instance's user data (infra/softphone.yaml, DeployGateway=true) once the package is in
# /opt/softphone and /etc/softphone/aws.conf is written. Installs and starts: the softphone
# service with its settings from Parameter Store and Secrets Manager (softphone-env.service),
# Caddy as the HTTPS proxy (a certificate for the gateway's domain from Let's Encrypt), the
# CloudWatch agent shipping the logs, the SSM agent (Session Manager), and with TURN coturn. Safe to run again (an upgrade:
# unpack the new package, run this).
set -euo pipefail
# shellcheck source=/dev/null
source /etc/softphone/aws.conf
pkg=/opt/softphone
export DEBIAN_FRONTEND=noninteractive

for _ in $(seq 1 30); do apt-get update -qq && break; sleep 5; done
packages=(caddy curl python3 logrotate openssl)
if [ -n "${TURN_SECRET:-}" ]; then packages+=(coturn); fi
apt-get install -y -qq --no-install-recommends "${packages[@]}"

id softphone >/dev/null 2>&1 ||
  useradd --system --home-dir /var/lib/softphone --no-create-home --shell /usr/sbin/nologin softphone
install -m 0644 "$pkg/systemd/softphone.service" /etc/systemd/system/softphone.service
install -m 0644 "$pkg/aws/softphone-env.service" /etc/systemd/system/softphone-env.service
install -d /etc/systemd/system/softphone.service.d
install -m 0644 "$pkg/aws/softphone-aws.conf" /etc/systemd/system/softphone.service.d/aws.conf
cat > /etc/logrotate.d/softphone <<'CONF'
/var/log/softphone/server.log /var/log/turnserver/turnserver.log {
  daily
  rotate 7
  compress
  missingok
  notifempty
  copytruncate
}
CONF

# HTTPS: Caddy gets and renews the certificate for the domain (HTTP-01 on port 80 or TLS-ALPN-01
# on 443) once the domain's DNS name points at the Elastic IP, and passes WebSockets through.
cat > /etc/caddy/Caddyfile <<CONF
$DOMAIN {
	encode zstd gzip
	reverse_proxy 127.0.0.1:3000
}
CONF
systemctl enable caddy
systemctl reload-or-restart caddy

if [ -n "${TURN_SECRET:-}" ]; then
  echo TURNSERVER_ENABLED=1 > /etc/default/coturn
  install -d /etc/systemd/system/coturn.service.d
  cat > /etc/systemd/system/coturn.service.d/softphone.conf <<'CONF'
# Its configuration (the TURN REST secret) is written by softphone-env.service.
[Unit]
Requires=softphone-env.service
After=softphone-env.service caddy.service
[Service]
LogsDirectory=turnserver
CONF
fi

# Caddy's certificate for the domain, copied to the softphone's SIP TLS listener (calls in from
# the Voice Connector; taken on SIGHUP, calls go on) and to coturn: at boot and hourly.
systemctl disable --now turn-cert-sync.timer 2>/dev/null || true # an older package's
rm -f /etc/systemd/system/turn-cert-sync.{service,timer} /usr/local/sbin/softphone-turn-cert-sync
install -m 0755 "$pkg/aws/cert-sync" /usr/local/sbin/softphone-cert-sync
cat > /etc/systemd/system/cert-sync.service <<'CONF'
[Unit]
Description=Copy Caddy's certificate to the softphone's SIP TLS listener and coturn
After=caddy.service softphone.service
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/softphone-cert-sync
CONF
cat > /etc/systemd/system/cert-sync.timer <<'CONF'
[Unit]
Description=Copy Caddy's certificate to the softphone and coturn, at boot and hourly
[Timer]
OnBootSec=5min
OnUnitActiveSec=1h
[Install]
WantedBy=timers.target
CONF

# Logs to CloudWatch: AWS's agent (not in Debian), from the Region's own bucket over HTTPS.
# AWS's Debian packages come from the Region's buckets; the network may still be coming up.
install_deb() {
  local deb
  deb="$(mktemp --suffix=.deb)"
  for _ in $(seq 1 30); do
    curl -fsSL -o "$deb" "$1" && break
    sleep 5
  done
  dpkg -i "$deb"
  rm -f "$deb"
}
if [ ! -x /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl ]; then
  install_deb "https://amazoncloudwatch-agent-$REGION.s3.$REGION.amazonaws.com/debian/amd64/latest/amazon-cloudwatch-agent.deb"
fi
# A shell for the operator without SSH: Session Manager (access by IAM, sessions logged by AWS).
if ! systemctl list-unit-files amazon-ssm-agent.service >/dev/null 2>&1; then
  install_deb "https://s3.$REGION.amazonaws.com/amazon-ssm-$REGION/latest/debian_amd64/amazon-ssm-agent.deb"
fi
systemctl enable --now amazon-ssm-agent

cat > /opt/aws/amazon-cloudwatch-agent/etc/softphone.json <<CONF
{
  "agent": { "run_as_user": "root" },
  "logs": {
    "logs_collected": {
      "files": {
        "collect_list": [
          { "file_path": "/var/log/softphone/server.log", "log_group_name": "$LOG_GROUP",
            "log_stream_name": "{instance_id}/softphone" },
          { "file_path": "/var/log/turnserver/turnserver.log", "log_group_name": "$LOG_GROUP",
            "log_stream_name": "{instance_id}/coturn" },
          { "file_path": "/var/log/cloud-init-output.log", "log_group_name": "$LOG_GROUP",
            "log_stream_name": "{instance_id}/cloud-init" }
        ]
      }
    }
  }
}
CONF
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \
  -c file:/opt/aws/amazon-cloudwatch-agent/etc/softphone.json

systemctl daemon-reload
systemctl enable softphone cert-sync.timer
systemctl restart softphone
systemctl start cert-sync.timer
if [ -n "${TURN_SECRET:-}" ]; then
  systemctl enable coturn
  systemctl restart coturn
fi
echo "softphone installed: $(head -1 "$pkg/VERSION"); https://$DOMAIN once its DNS name points at $PUBLIC_IP"
