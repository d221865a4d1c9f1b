#!/usr/bin/env bash
# The demo tenant of `make run` (idempotent: every call is a PUT):
#
#   demo.sh <API base, e.g. http://127.0.0.1:8080/csq/api> <csq_secret> \
#           [<widget demo origin>]
#
# a robot-first queue with a welcome text, two keyword rules and a hand-off
# keyword, a human queue, three agents (printed with their passwords), one
# entry link, and the widget allowlist holding the demo page's origin.

set -euo pipefail

api=${1:?API base}
secret=${2:?csq_secret}
widget_origin=${3:-http://127.0.0.1:8081}

# a platform token for an hour
token=$(bash "$(dirname "$0")/token.sh" -s "$secret")

call() {
    local method=$1 path=$2 body=$3 out status
    out=$(curl -s -w '\n%{http_code}' -X "$method" \
               -H "Authorization: Bearer $token" \
               -H 'Content-Type: application/json' \
               --data-binary "$body" "$api/$path")
    status=${out##*$'\n'}
    case $status in
        200|201) ;;
        *) echo "demo: $method $path: $status ${out%$'\n'*}" >&2; exit 1 ;;
    esac
}

call PUT tenants/demo '{"name":"Demo Shop",
  "origins":["'"$widget_origin"'"],
  "suspended_text":"Our agent will be right with you.",
  "faq_links":[{"label":"Shipping","url":"https://example.com/shipping"},
               {"label":"Returns","url":"https://example.com/returns"}]}'

call PUT tenants/demo/queues/bot '{"name":"Front desk","mode":"robot",
  "welcome_text":"Hi! I am the Demo Shop bot. Ask about \"price\" or our opening hours, or type \"agent\" to talk to a person.",
  "handoff_keywords":["agent","human","人工"],
  "queued_text":"All our agents are busy: you are in line."}'

call PUT tenants/demo/queues/human '{"name":"Support",
  "welcome_text":"Welcome to Demo Shop support."}'

call PUT tenants/demo/keywords '{"rules":[
  {"match":"exact","keyword":"price","replies":[
     {"text":"Our plans start at 9 EUR a month."},
     {"text":"Want a person to tell you more?",
      "actions":[{"label":"Talk to an agent","send":"agent"}]}]},
  {"match":"contains","keyword":"hours","replies":[
     {"text":"We are open 9:00-18:00, Monday to Friday."}]}]}'

for a in alice:agent bob:agent sam:supervisor; do
    id=${a%%:*}
    role=${a##*:}
    call PUT "tenants/demo/agents/$id" '{"name":"'"${id^}"'","role":"'"$role"'",
      "queues":["bot","human"],"capacity":3,"password":"'"$id"'-demo-pass"}'
    call POST "tenants/demo/agents/$id/status" '{"status":"online"}'
done

call PUT tenants/demo/links/welcome '{"name":"Website","queue":"bot"}'

cat <<EOT
demo tenant "demo" (Demo Shop):
  chat page        $api/tenants/demo/chat?ch=welcome
  widget test page $widget_origin/
  workbench        $api/tenants/demo/workbench
  agents           alice / alice-demo-pass, bob / bob-demo-pass,
                   sam / sam-demo-pass (supervisor)
EOT
