#!/usr/bin/env bash
# A csq token signed with the configured secret: an operator's first step
# on a fresh install is a platform token, to create the first tenant.
#
#   token.sh -c /etc/nginx/nginx.conf      # csq_secret / csq_secret_file
#   token.sh -s <secret> | -f <secret file>
#            [-g generation] [-t tenant -a customer -r customer] [-e secs]
#
# Without -t/-a/-r it makes a platform token ("*", role platform) for an
# hour, of the platform generation -g, else the configuration's
# csq_platform_generation (-c), else 0.  A token is
# base64url("tenant|agent|role|expires[|session]") "."
# base64url(HMAC-SHA256 of that text with the secret), as the module
# checks it (ngx_csq_auth.c); a platform token's session is its
# generation.  Agents, supervisors and admins get theirs by logging in
# (POST tenants/<t>/login): theirs name a session this script cannot make.
# Needs openssl; reads the secret from the nginx configuration's first
# csq_secret or csq_secret_file line (a relative secret file is taken from
# nginx's prefix: give -f then).
#
#   curl -X PUT -H "Authorization: Bearer $(token.sh -c nginx.conf)" \
#        -d '{"name":"Acme"}' http://127.0.0.1:8080/csq/api/tenants/acme

set -euo pipefail

usage() { sed -n '4,6p' "$0" | sed 's/^# \{0,3\}//' >&2; exit 2; }

secret= tenant='*' agent= role=platform ttl=3600 gen=

while getopts 'c:s:f:g:t:a:r:e:h' o; do
    case $o in
    c)  [ -n "$gen" ] || gen=$(sed -n \
            's/^[[:space:]]*csq_platform_generation[[:space:]]*\([0-9]*\);.*/\1/p' \
            "$OPTARG" | head -1)
        line=$(sed -n 's/^[[:space:]]*\(csq_secret\(_file\)\{0,1\}\)[[:space:]]\{1,\}\([^;]*\);.*/\1 \3/p' "$OPTARG" | head -1)
        case $line in
        "csq_secret_file "*) secret=$(cat "${line#csq_secret_file }") ;;
        "csq_secret "*)      secret=${line#csq_secret }
                             secret=${secret#[\"\']} secret=${secret%[\"\']} ;;
        *) echo "token.sh: no csq_secret in $OPTARG" >&2; exit 1 ;;
        esac ;;
    s)  secret=$OPTARG ;;
    f)  secret=$(cat "$OPTARG") ;;
    g)  gen=$OPTARG ;;
    t)  tenant=$OPTARG ;;
    a)  agent=$OPTARG ;;
    r)  role=$OPTARG ;;
    e)  ttl=$OPTARG ;;
    *)  usage ;;
    esac
done

# a trailing newline or space of a secret file is not part of the secret
secret=$(printf '%s' "$secret" | sed 's/[[:space:]]*$//')
[ -n "$secret" ] || usage

case $role in
customer|platform) ;;
agent|supervisor|admin)
   echo "token.sh: an $role's token names its login session:" \
        "POST tenants/<t>/login" >&2; exit 2 ;;
*) echo "token.sh: role must be customer or platform" >&2; exit 2 ;;
esac

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

payload="$tenant|$agent|$role|$(( $(date +%s) + ttl ))"
[ "$role" = platform ] && payload="$payload|${gen:-0}"
sig=$(printf '%s' "$payload" | openssl dgst -sha256 -hmac "$secret" -binary \
      | b64url)
printf '%s.%s\n' "$(printf '%s' "$payload" | b64url)" "$sig"
