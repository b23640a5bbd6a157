#!/usr/bin/env bash
# Installs glouglou as system services: creates the unprivileged users and
# the state directories with safe modes, and installs the systemd units.
# Run as root from a built checkout (npm start or npm test builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "install-service.sh: run as root" >&2; exit 1; }
prefix=$(pwd)

for u in _glougloud _ggprobe _ggrelay; do
  if ! getent passwd "$u" >/dev/null; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$u"
  fi
done

install -d -m 700 -o _glougloud -g _glougloud /var/lib/glougloud /var/lib/glougloud/probes
install -d -m 700 -o _ggrelay -g _ggrelay /var/lib/ggrelay /var/lib/ggrelay/probes
install -d -m 755 /etc/glouglou

for unit in glougloud.service ggprobe@.service ggrelay.service; do
  sed "s#@PREFIX@#${prefix}#g" "scripts/systemd/${unit}" > "/etc/systemd/system/${unit}"
done
systemctl daemon-reload 2>/dev/null || echo "install-service.sh: systemd not running; units installed in /etc/systemd/system" >&2
cat <<MSG
Installed. Next:
  - a probe secret: head -c 32 /dev/urandom | base64 > /var/lib/glougloud/probes/1 && chown _glougloud: /var/lib/glougloud/probes/1 && chmod 600 /var/lib/glougloud/probes/1
  - systemctl enable --now glougloud
  - on the tap: copy the same secret to /etc/glouglou/probe-1.secret (mode 600), write /etc/glouglou/ggprobe-eth0.env, systemctl enable --now ggprobe@eth0
MSG
