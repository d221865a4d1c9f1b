#!/usr/bin/env bash
# The demo tenant of `make run` (idempotent: every call is a PUT):
#
#   demo.sh <API base, e.g. http://127.0.0.1:8080/csq/api> <csq_secret> \
#           [<widget demo origin>]
#
# a robot-first queue with a welcome text, two keyword rules and a hand-off
# keyword, a human queue, three agents and an admin (printed with their
# passwords), one entry link, the widget allowlist holding the demo page's
# origin, the team's quick replies in two categories, a public and an
# internal knowledge article, and the wrap-up's topics and statuses.
#
# The agents start offline (an agent made by the API is): nobody is
# "online" without a workbench open, so a customer waits in line until an
# agent signs in on the workbench and sets the status to Online (#13 §5).
# This script never sets a status.

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
done

# the admin: signs in on the same workbench (supervisor views too) and may
# change the tenant's settings through the API; in no queue, so no
# customer is routed to it
call PUT tenants/demo/agents/admin '{"name":"Admin","role":"admin",
  "queues":[],"password":"admin-demo-pass"}'

# the team's quick replies ("/" in the composer); a PUT by id, so a second
# run rewrites the same ones (a new one goes last, the order is kept).
# None holds the word "greet": t/browser/flows.js adds a reply of its own
# and expects "/greet" to find it alone.
reply() {
    call PUT "tenants/demo/quick-replies/team/$1" "$2"
}
reply hello '{"category":"Welcome","title":"Hello",
  "text":"Hello {customer_name}, this is {agent_name} from Demo Shop. How can I help you?"}'
reply hello-zh '{"category":"Welcome","title":"Hello (中文)",
  "text":"您好，{customer_name}！我是 Demo Shop 的{agent_name}，请问有什么可以帮您？"}'
reply moment '{"category":"Welcome","title":"One moment",
  "text":"One moment please, {customer_name}: I am checking this for you."}'
reply shipping '{"category":"Orders","title":"Shipping time",
  "text":"Orders leave our warehouse within 24 hours; delivery takes 2-4 working days."}'
reply tracking '{"category":"Orders","title":"Tracking number",
  "text":"Could you give me your order number? I will look up its tracking number."}'

# the knowledge base: an external article (the chat page's FAQ bar lists
# it; an agent can share it into a chat) and an internal one
call PUT tenants/demo/kb/delivery '{"title":"Delivery times","category":"Orders",
  "external":true,
  "body":"Orders leave our warehouse within 24 hours, Monday to Friday. Delivery takes 2-4 working days; you get a tracking number by e-mail when your parcel leaves."}'
call PUT tenants/demo/kb/refund-policy '{"title":"Refunds: what an agent may offer",
  "category":"Internal","external":false,
  "body":"Within 30 days of delivery: a full refund once the item is back. A late parcel (over 7 days): a 10% voucher without asking a supervisor. Anything else: ask Sam (supervisor)."}'

# the wrap-up: topics and statuses an agent tags a conversation with, and an
# optional service note field
call PUT tenants/demo/wrapup '{"topics":["Order","Delivery","Returns","Product question","Complaint"],
  "statuses":["Solved","Follow-up","Not solved"],
  "note_fields":[{"name":"order","label":"Order number","type":"text"}]}'

call PUT tenants/demo/links/welcome '{"name":"Website","queue":"bot"}'

cat <<EOT
demo tenant "demo" (Demo Shop):
  chat page        $api/tenants/demo/chat?ch=welcome
  widget test page $widget_origin/
  workbench        $api/tenants/demo/workbench
  agents           alice / alice-demo-pass, bob / bob-demo-pass,
                   sam / sam-demo-pass (supervisor)
  admin            admin / admin-demo-pass
  The agents start offline: sign in on the workbench and set the status
  to Online to take customers.  Quick replies ("/" in the reply box), a
  knowledge article and the wrap-up's topics are ready to try.
EOT
