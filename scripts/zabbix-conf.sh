# shellcheck shell=bash
# The configuration files scripts/zabbix-local.sh (6.0) and scripts/zabbix7-local.sh (7.0) write, printed on stdout.
# Sourced by scripts/zabbix-lib.sh; uses its caller's TAG, DB, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, TRAPPER_PORT.

# The frontend's /etc/zabbix/zabbix.conf.php: 6.0's keys, plus 7.0's VAULT_* additions (ignored by 6.0).
frontend_conf() {
  cat <<PHP
<?php
// Written by scripts/$TAG.sh
global \$DB;

\$DB['TYPE']     = 'POSTGRESQL';
\$DB['SERVER']   = '$DB_HOST';
\$DB['PORT']     = '$DB_PORT';
\$DB['DATABASE'] = '$DB';
\$DB['USER']     = '$DB_USER';
\$DB['PASSWORD'] = '$DB_PASSWORD';
\$DB['SCHEMA']   = '';

\$DB['ENCRYPTION']  = false;
\$DB['KEY_FILE']    = '';
\$DB['CERT_FILE']   = '';
\$DB['CA_FILE']     = '';
\$DB['VERIFY_HOST'] = false;
\$DB['CIPHER_LIST'] = '';

\$DB['VAULT']           = '';
\$DB['VAULT_URL']       = '';
\$DB['VAULT_PREFIX']    = '';
\$DB['VAULT_DB_PATH']   = '';
\$DB['VAULT_TOKEN']     = '';
\$DB['VAULT_CERT_FILE'] = '';
\$DB['VAULT_KEY_FILE']  = '';
\$DB['DOUBLE_IEEE754']  = true;

\$ZBX_SERVER      = '127.0.0.1';
\$ZBX_SERVER_PORT = '$TRAPPER_PORT';
\$ZBX_SERVER_NAME = '$TAG';

\$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;
PHP
}

# zabbix_server's whole configuration (no Include of the packaged one): loopback only, no poller of any kind,
# so it never sends a packet to a host; trapper values, triggers, problems, actions and webhooks still work.
# $1: directory for its pid file and IPC sockets (owned by the zabbix user); $2..: extra lines for the version.
server_conf() {
  local run_dir="$1"
  shift
  cat <<CONF
# Written by scripts/$TAG.sh
ListenIP=127.0.0.1
ListenPort=$TRAPPER_PORT
DBHost=$DB_HOST
DBPort=$DB_PORT
DBName=$DB
DBUser=$DB_USER
DBPassword=$DB_PASSWORD
LogType=console
DebugLevel=3
PidFile=$run_dir/zabbix_server.pid
SocketDir=$run_dir
# New hosts, items and triggers reach the server within seconds (default 60 s, 10 s on 7.0).
CacheUpdateFrequency=5
HousekeepingFrequency=0
StartPollers=0
StartPollersUnreachable=0
StartPingers=0
StartDiscoverers=0
StartHTTPPollers=0
StartIPMIPollers=0
StartJavaPollers=0
StartVMwareCollectors=0
StartSNMPTrapper=0
StartProxyPollers=0
StartODBCPollers=0
StartReportWriters=0
StartHistoryPollers=0
StartTrappers=2
StartPreprocessors=1
StartDBSyncers=1
StartEscalators=1
StartAlerters=1
StartTimers=1
StartLLDProcessors=1
CONF
  printf '%s\n' "$@"
}
