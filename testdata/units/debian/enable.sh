#!/bin/sh
# Recreate root/etc/systemd/system as the packages' postinst scripts leave it
# on a fresh Debian 12 install: each `deb-systemd-helper enable UNIT` reads the
# unit's [Install] section and makes, under /etc/systemd/system,
#   WantedBy=T    -> T.wants/UNIT   -> /lib/systemd/system/UNIT
#   RequiredBy=T  -> T.requires/UNIT -> /lib/systemd/system/UNIT
#   Alias=A       -> A              -> /lib/systemd/system/UNIT
# (absolute links, as deb-systemd-helper writes them). The list of units is the
# `deb-systemd-helper enable` calls of the postinst scripts (dpkg-deb -e) that run
# on a first install; apache-htcacheclean.service is left out because apache2's
# postinst disables it again on a first install.
set -eu
cd "$(dirname "$0")/root"
rm -rf etc/systemd/system
mkdir -p etc/systemd/system
for unit in apache2.service apt-daily-upgrade.timer apt-daily.timer cron.service \
	e2scrub_all.timer e2scrub_reap.service logrotate.timer mariadb.service \
	nginx.service php8.2-fpm.service postgresql.service redis-server.service \
	rsyslog.service ssh.service; do
	file=lib/systemd/system/$unit
	sed -n '/^\[Install\]/,/^\[/p' "$file" | while IFS='=' read -r key value; do
		for v in $value; do
			case $key in
			WantedBy) mkdir -p "etc/systemd/system/$v.wants"
				ln -sf "/$file" "etc/systemd/system/$v.wants/$unit" ;;
			RequiredBy) mkdir -p "etc/systemd/system/$v.requires"
				ln -sf "/$file" "etc/systemd/system/$v.requires/$unit" ;;
			Alias) ln -sf "/$file" "etc/systemd/system/$v" ;;
			esac
		done
	done
done
