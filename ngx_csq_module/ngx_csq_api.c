
/*
 * Copyright (C) ngx_csq_module authors
 *
 * csq_api: the JSON API under a location prefix.  Each route names the
 * least role it needs and the one function of the Redis library that does
 * its work; this file checks who asks (bearer token, tenant, role), hands
 * the function the path id and the body, and sends back the status and
 * JSON the function returns.  A route with more to do names it in the
 * table: a handler that answers instead (a page, a socket, the identity
 * key), a body hook (a login, a password to hash, a signed customer, a
 * visitor: ngx_csq_login.c), or an extra argument ("csv": a CSV answer).
 */


#include "ngx_csq_api.h"
#include "ngx_csq_http.h"
#include "ngx_csq_call.h"
#include "ngx_csq_json.h"
#include "ngx_csq_auth.h"
#include "ngx_csq_login.h"
#include "ngx_csq_pages.h"
#include "ngx_csq_chat_open.h"
#include "ngx_csq_attach.h"
#include "ngx_csq_channel.h"


#define NGX_CSQ_API_BODY       0x01    /* takes a JSON body */
#define NGX_CSQ_API_SELF       0x02    /* an agent may act on its own id */
#define NGX_CSQ_API_REGISTRY   0x04    /* KEYS[2] is the tenant registry */
#define NGX_CSQ_API_QUERY      0x08    /* the query string is the body */
#define NGX_CSQ_API_CSV        0x10    /* answers CSV (EXTRA "csv") */
#define NGX_CSQ_API_CLOSE      0x20    /* a refusal ends the connection */
#define NGX_CSQ_API_WS         0x40    /* a socket: ?token= on handshakes */
#define NGX_CSQ_API_BATCH      0x80    /* called again while r[3] says so */


/* answers a route instead of the function call (after the auth check) */
typedef ngx_int_t (*ngx_csq_api_handler_pt)(ngx_http_request_t *r,
    ngx_csq_fcall_t *a);

/* a route's own use of the parsed body; it calls the function itself */
typedef ngx_int_t (*ngx_csq_api_body_pt)(ngx_http_request_t *r,
    ngx_csq_fcall_t *a, ngx_csq_json_t *body);


typedef struct {
    ngx_uint_t               method;
    char                    *path;     /* ":t" the tenant, ":id" an id */
    ngx_uint_t               role;     /* the least role that may call it */
    ngx_uint_t               fn;
    ngx_uint_t               flags;
    ngx_csq_api_handler_pt   handler;
    ngx_csq_api_body_pt      body;
    char                    *arg;      /* a page's file, or EXTRA */
    char                   **arrays;   /* body fields that are arrays */
} ngx_csq_route_t;


typedef struct {
    ngx_csq_route_t         *route;
    ngx_csq_fcall_t          call;
    ngx_array_t             *csv;      /* an export's parts (ngx_str_t) */
} ngx_csq_api_ctx_t;


static ngx_int_t ngx_csq_api_match(ngx_http_request_t *r,
    ngx_csq_api_ctx_t *actx, ngx_uint_t *allowed);
static ngx_int_t ngx_csq_api_segment(ngx_str_t *seg, ngx_str_t *out);
static ngx_int_t ngx_csq_api_auth(ngx_http_request_t *r,
    ngx_csq_api_ctx_t *actx, char **message);
static ngx_int_t ngx_csq_api_body(ngx_http_request_t *r,
    ngx_csq_json_t *body);
static char *ngx_csq_api_arrays(ngx_http_request_t *r, ngx_csq_json_t *body,
    char **arrays);
static ngx_int_t ngx_csq_api_csv(ngx_http_request_t *r, void *data);
static ngx_int_t ngx_csq_api_reply_str(ngx_http_request_t *r, redisReply *e,
    ngx_str_t *s);
static ngx_int_t ngx_csq_api_page(ngx_http_request_t *r,
    ngx_csq_fcall_t *a);
static ngx_int_t ngx_csq_api_tenant_del(ngx_http_request_t *r,
    ngx_csq_fcall_t *a);
static ngx_csq_reply_pt ngx_csq_api_reply(ngx_csq_route_t *route);
static ngx_int_t ngx_csq_api_batch(ngx_http_request_t *r, void *data);
static ngx_int_t ngx_csq_api_customer_ws(ngx_http_request_t *r,
    ngx_csq_fcall_t *a);
static ngx_int_t ngx_csq_api_agent_ws(ngx_http_request_t *r,
    ngx_csq_fcall_t *a);


/*
 * The fields of a body that must be arrays (or null, to remove them; a
 * "parent.field" must be an array when its parent is an object): Redis'
 * Lua reads {} and [] alike, so an object given for an array (turning an
 * allowlist off) is refused here, naming the field.
 */

static char  *ngx_csq_arrays_tenant[] = { "origins", "faq_links", NULL };
static char  *ngx_csq_arrays_queue[] = { "welcome_slots", "handoff_keywords",
                                         "schedule.slots", NULL };
static char  *ngx_csq_arrays_agent[] = { "queues", NULL };
static char  *ngx_csq_arrays_rules[] = { "rules", NULL };
static char  *ngx_csq_arrays_customer[] = { "tags", NULL };
static char  *ngx_csq_arrays_batch[] = { "customers", "add_tags",
                                         "remove_tags", NULL };
static char  *ngx_csq_arrays_fields[] = { "fields", NULL };
static char  *ngx_csq_arrays_groups[] = { "groups", NULL };
static char  *ngx_csq_arrays_wrapup[] = { "topics", "statuses",
                                          "note_fields", NULL };


static ngx_csq_route_t  ngx_csq_routes[] = {

    { NGX_HTTP_PUT, "tenants/:t", NGX_CSQ_ROLE_PLATFORM,
      NGX_CSQ_FN_TENANT_PUT, NGX_CSQ_API_BODY|NGX_CSQ_API_REGISTRY,
      NULL, NULL, NULL, ngx_csq_arrays_tenant },

    { NGX_HTTP_GET, "tenants/:t", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_TENANT_GET, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_DELETE, "tenants/:t", NGX_CSQ_ROLE_PLATFORM,
      NGX_CSQ_FN_TENANT_DEL, NGX_CSQ_API_REGISTRY, ngx_csq_api_tenant_del,
      NULL, NULL, NULL },

    { NGX_HTTP_PUT, "tenants/:t/rules", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_RULES_PUT, NGX_CSQ_API_BODY, NULL, NULL, NULL,
      ngx_csq_arrays_rules },

    { NGX_HTTP_PUT, "tenants/:t/queues/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_QUEUE_PUT, NGX_CSQ_API_BODY, NULL, NULL, NULL,
      ngx_csq_arrays_queue },

    { NGX_HTTP_GET, "tenants/:t/queues/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_QUEUE_GET, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_PUT, "tenants/:t/agents/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_AGENT_PUT, NGX_CSQ_API_BODY, NULL,
      ngx_csq_login_password, NULL, ngx_csq_arrays_agent },

    { NGX_HTTP_GET, "tenants/:t/agents/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_AGENT_GET, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/agents/:id/status",
      NGX_CSQ_ROLE_SUPERVISOR, NGX_CSQ_FN_AGENT_STATUS,
      NGX_CSQ_API_BODY|NGX_CSQ_API_SELF, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/agents/:id/conversations",
      NGX_CSQ_ROLE_SUPERVISOR, NGX_CSQ_FN_AGENT_CONVS,
      NGX_CSQ_API_SELF, NULL, NULL, NULL, NULL },

    /* the customer library (R6.1-R6.3): its words before its ids */

    { NGX_HTTP_GET, "tenants/:t/customers", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CUSTOMERS, NGX_CSQ_API_QUERY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/customers/export", NGX_CSQ_ROLE_SUPERVISOR,
      NGX_CSQ_FN_CUSTOMERS, NGX_CSQ_API_QUERY|NGX_CSQ_API_CSV, NULL, NULL,
      "csv", NULL },

    { NGX_HTTP_POST, "tenants/:t/customers/batch", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CUSTOMERS_BATCH, NGX_CSQ_API_BODY, NULL, NULL, NULL,
      ngx_csq_arrays_batch },

    { NGX_HTTP_POST, "tenants/:t/customers/import", NGX_CSQ_ROLE_SUPERVISOR,
      NGX_CSQ_FN_CUSTOMERS_IMPORT, NGX_CSQ_API_BODY|NGX_CSQ_API_BATCH, NULL,
      NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/customers/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CUSTOMER_GET, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_PUT, "tenants/:t/customers/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CUSTOMER_PUT, NGX_CSQ_API_BODY, NULL, NULL, NULL,
      ngx_csq_arrays_customer },

    { NGX_HTTP_POST, "tenants/:t/customers/:id/merge", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CUSTOMER_MERGE, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/customers/:id/notes", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CUSTOMER_NOTE, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/customers/:id/conversations",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_CUSTOMER_TIMELINE, NGX_CSQ_API_QUERY,
      NULL, NULL, "conversations", NULL },

    { NGX_HTTP_GET, "tenants/:t/customers/:id/records", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CUSTOMER_TIMELINE, NGX_CSQ_API_QUERY, NULL, NULL,
      "records", NULL },

    { NGX_HTTP_GET, "tenants/:t/customers/:id/trajectory",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_CUSTOMER_TIMELINE, NGX_CSQ_API_QUERY,
      NULL, NULL, "trajectory", NULL },

    { NGX_HTTP_POST, "tenants/:t/track", NGX_CSQ_ROLE_CUSTOMER,
      NGX_CSQ_FN_TRACK, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/search", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_SEARCH, NGX_CSQ_API_QUERY, NULL, NULL, NULL, NULL },

    /* records (R5.3, R5.5) */

    { NGX_HTTP_GET, "tenants/:t/conversations", NGX_CSQ_ROLE_SUPERVISOR,
      NGX_CSQ_FN_REVIEW, NGX_CSQ_API_QUERY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/conversations/export",
      NGX_CSQ_ROLE_SUPERVISOR, NGX_CSQ_FN_REVIEW,
      NGX_CSQ_API_QUERY|NGX_CSQ_API_CSV, NULL, NULL, "csv", NULL },

    { NGX_HTTP_GET, "tenants/:t/figures", NGX_CSQ_ROLE_SUPERVISOR,
      NGX_CSQ_FN_FIGURES, 0, NULL, NULL, NULL, NULL },

    /* the knowledge base (R4.10); its external articles for anyone */

    { NGX_HTTP_GET, "tenants/:t/kb", NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_KB,
      NGX_CSQ_API_QUERY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/kb/public", NGX_CSQ_ROLE_NONE,
      NGX_CSQ_FN_KB, NGX_CSQ_API_QUERY, NULL, NULL, "public", NULL },

    { NGX_HTTP_GET, "tenants/:t/kb/public/:id", NGX_CSQ_ROLE_NONE,
      NGX_CSQ_FN_KB_GET, 0, NULL, NULL, "public", NULL },

    { NGX_HTTP_GET, "tenants/:t/kb/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_KB_GET, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_PUT, "tenants/:t/kb/:id", NGX_CSQ_ROLE_SUPERVISOR,
      NGX_CSQ_FN_KB_PUT, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_DELETE, "tenants/:t/kb/:id", NGX_CSQ_ROLE_SUPERVISOR,
      NGX_CSQ_FN_KB_DEL, 0, NULL, NULL, NULL, NULL },

    /* quick replies (R4.8): the team's and the agent's own */

    { NGX_HTTP_GET, "tenants/:t/quick-replies", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_REPLIES, NGX_CSQ_API_QUERY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/quick-replies/export", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_REPLIES, NGX_CSQ_API_QUERY|NGX_CSQ_API_CSV, NULL, NULL,
      "csv", NULL },

    { NGX_HTTP_POST, "tenants/:t/quick-replies/import", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_REPLIES_IMPORT, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_PUT, "tenants/:t/quick-replies/team/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_REPLY_PUT, NGX_CSQ_API_BODY, NULL, NULL, "team", NULL },

    { NGX_HTTP_PUT, "tenants/:t/quick-replies/mine/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_REPLY_PUT, NGX_CSQ_API_BODY, NULL, NULL, "mine", NULL },

    { NGX_HTTP_DELETE, "tenants/:t/quick-replies/team/:id",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_REPLY_DEL, 0, NULL, NULL, "team",
      NULL },

    { NGX_HTTP_DELETE, "tenants/:t/quick-replies/mine/:id",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_REPLY_DEL, 0, NULL, NULL, "mine",
      NULL },

    /* the wrap-up (R4.6), private notes, the customer's rating (R8.5) */

    { NGX_HTTP_PUT, "tenants/:t/wrapup", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_WRAPUP_PUT, NGX_CSQ_API_BODY, NULL, NULL, NULL,
      ngx_csq_arrays_wrapup },

    { NGX_HTTP_GET, "tenants/:t/wrapup", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_WRAPUP_GET, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/wrapup",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_CONV_WRAPUP, NGX_CSQ_API_BODY, NULL,
      NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/notes",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_CONV_NOTE, NGX_CSQ_API_BODY, NULL,
      NULL, NULL, NULL },

    /* attachments (R5.6): the file is the body (ngx_csq_attach.c) */

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/attachments",
      NGX_CSQ_ROLE_CUSTOMER, NGX_CSQ_FN_ATTACH_PUT, 0,
      ngx_csq_attach_upload, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/attachments/:id", NGX_CSQ_ROLE_CUSTOMER,
      NGX_CSQ_FN_ATTACH_GET, 0, ngx_csq_attach_get, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/rating",
      NGX_CSQ_ROLE_CUSTOMER, NGX_CSQ_FN_CONV_RATING, NGX_CSQ_API_BODY, NULL,
      NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/conversations/:id/targets",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_TRANSFER_TARGETS, 0, NULL, NULL, NULL,
      NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/mark",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_CONV_MARK, NGX_CSQ_API_BODY, NULL,
      NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/marks", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_MARKS, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/conversations/:id/messages",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_CONV_MESSAGES, NGX_CSQ_API_QUERY,
      NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/conversations/:id/delivery",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_CONV_DELIVERY, 0, NULL, NULL, NULL,
      NULL },

    { NGX_HTTP_PUT, "tenants/:t/customer-fields", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_CUSTOMER_FIELDS_PUT, NGX_CSQ_API_BODY, NULL, NULL, NULL,
      ngx_csq_arrays_fields },

    { NGX_HTTP_GET, "tenants/:t/customer-fields", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CUSTOMER_FIELDS_GET, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/favorites", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_FAVORITES, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_PUT, "tenants/:t/favorites/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_FAVORITE_PUT, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_DELETE, "tenants/:t/favorites/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_FAVORITE_DEL, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_PUT, "tenants/:t/favorite-groups", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_FAVORITE_GROUPS, NGX_CSQ_API_BODY, NULL, NULL, NULL,
      ngx_csq_arrays_groups },

    { NGX_HTTP_GET, "tenants/:t/blacklist", NGX_CSQ_ROLE_SUPERVISOR,
      NGX_CSQ_FN_BLACKLIST, NGX_CSQ_API_QUERY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_PUT, "tenants/:t/blacklist/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_BLACKLIST_PUT, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_DELETE, "tenants/:t/blacklist/:id", NGX_CSQ_ROLE_SUPERVISOR,
      NGX_CSQ_FN_BLACKLIST_DEL, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/login", NGX_CSQ_ROLE_NONE,
      NGX_CSQ_FN_LOGIN, NGX_CSQ_API_BODY, NULL, ngx_csq_login_body, NULL,
      NULL },

    { NGX_HTTP_DELETE, "tenants/:t/queues/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_QUEUE_DEL, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_DELETE, "tenants/:t/agents/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_AGENT_DEL, 0, NULL, NULL, NULL, NULL },

    /* R9.5: this device's session, all of the caller's, an agent's */

    { NGX_HTTP_POST, "tenants/:t/logout", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_LOGOUT, 0, NULL, NULL, "one", NULL },

    { NGX_HTTP_POST, "tenants/:t/logout-all", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_LOGOUT, 0, NULL, NULL, "all", NULL },

    { NGX_HTTP_POST, "tenants/:t/agents/:id/logout", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_LOGOUT, NGX_CSQ_API_SELF, NULL, NULL, "all", NULL },

    { NGX_HTTP_GET, "tenants/:t/agents", NGX_CSQ_ROLE_SUPERVISOR,
      NGX_CSQ_FN_TEAM, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/waiting", NGX_CSQ_ROLE_SUPERVISOR,
      NGX_CSQ_FN_WAITING, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations", NGX_CSQ_ROLE_NONE,
      NGX_CSQ_FN_ARRIVE, NGX_CSQ_API_BODY, NULL, ngx_csq_login_arrive,
      NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/transfer",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_CONV_TRANSFER, NGX_CSQ_API_BODY,
      NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/claim",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_CONV_CLAIM, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/assign",
      NGX_CSQ_ROLE_SUPERVISOR, NGX_CSQ_FN_CONV_ASSIGN,
      NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/priority",
      NGX_CSQ_ROLE_SUPERVISOR, NGX_CSQ_FN_CONV_PRIORITY,
      NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/leave",
      NGX_CSQ_ROLE_CUSTOMER, NGX_CSQ_FN_CONV_LEAVE, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/conversations/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CONV_GET, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/end",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_CONV_END, NGX_CSQ_API_BODY,
      NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/chat", NGX_CSQ_ROLE_NONE,
      NGX_CSQ_FN_PAGE, 0, ngx_csq_api_page, NULL, "chat.html", NULL },

    { NGX_HTTP_GET, "tenants/:t/widget.js", NGX_CSQ_ROLE_NONE,
      NGX_CSQ_FN_PAGE, 0, ngx_csq_api_page, NULL, "widget.js", NULL },

    { NGX_HTTP_GET, "tenants/:t/workbench", NGX_CSQ_ROLE_NONE,
      NGX_CSQ_FN_PAGE, 0, ngx_csq_api_page, NULL,
      "workbench.html", NULL },

    { NGX_HTTP_GET, "assets/:id", NGX_CSQ_ROLE_NONE,
      0, 0, ngx_csq_api_page, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/entry", NGX_CSQ_ROLE_NONE,
      NGX_CSQ_FN_ENTRY, NGX_CSQ_API_BODY, NULL, ngx_csq_login_entry, NULL,
      NULL },

    { NGX_HTTP_PUT, "tenants/:t/keywords", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_KEYWORDS_PUT, NGX_CSQ_API_BODY, NULL, NULL, NULL,
      ngx_csq_arrays_rules },

    { NGX_HTTP_GET, "tenants/:t/keywords", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_KEYWORDS_GET, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/links", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_LINKS, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/links/export", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_LINKS, NGX_CSQ_API_CSV, NULL, NULL, "csv", NULL },

    { NGX_HTTP_PUT, "tenants/:t/links/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_LINK_PUT, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/links/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_LINK_GET, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_DELETE, "tenants/:t/links/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_LINK_DEL, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/visitors", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_VISITORS, NGX_CSQ_API_QUERY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/visitors/export", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_VISITORS, NGX_CSQ_API_QUERY|NGX_CSQ_API_CSV, NULL, NULL,
      "csv", NULL },

    { NGX_HTTP_GET, "tenants/:t/identity", NGX_CSQ_ROLE_ADMIN,
      0, 0, ngx_csq_login_identity, NULL, NULL, NULL },

    /* channels and the outbox (R1.4, R7.1-R7.3) */

    { NGX_HTTP_GET, "tenants/:t/channels", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_CHANNELS, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_PUT, "tenants/:t/channels/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_CHANNEL_PUT, NGX_CSQ_API_BODY, NULL, ngx_csq_channel_put,
      NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/channels/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_CHANNEL_GET, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_DELETE, "tenants/:t/channels/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_CHANNEL_DEL, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/channels/:id/key", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_CHANNEL_GET, 0, ngx_csq_channel_key_get, NULL, NULL,
      NULL },

    { NGX_HTTP_POST, "tenants/:t/channels/:id/inbound", NGX_CSQ_ROLE_NONE,
      NGX_CSQ_FN_CHANNEL_INBOUND, NGX_CSQ_API_BODY, NULL,
      ngx_csq_channel_inbound, NULL, NULL },

    /* the phone (R7.1-R7.3, R7.5): calls/callback before calls/:id */

    { NGX_HTTP_PUT, "tenants/:t/agents/:id/extension",
      NGX_CSQ_ROLE_SUPERVISOR, NGX_CSQ_FN_AGENT_EXTENSION,
      NGX_CSQ_API_BODY|NGX_CSQ_API_SELF, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/calls", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CALL_LIST, NGX_CSQ_API_QUERY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/calls/callback", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CALL_BACK, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/calls/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CALL_GET, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_PUT, "tenants/:t/calls/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CALL_PUT, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/sms-templates", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_SMS_TPLS, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_PUT, "tenants/:t/sms-templates/:id", NGX_CSQ_ROLE_SUPERVISOR,
      NGX_CSQ_FN_SMS_TPL_PUT, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_DELETE, "tenants/:t/sms-templates/:id",
      NGX_CSQ_ROLE_SUPERVISOR, NGX_CSQ_FN_SMS_TPL_DEL, 0, NULL, NULL, NULL,
      NULL },

    { NGX_HTTP_POST, "tenants/:t/sms", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_SMS_SEND, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/outbox", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_OUTBOX, NGX_CSQ_API_QUERY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/outbox/:id/retry", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_OUTBOX_RETRY, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/chat/ws", NGX_CSQ_ROLE_CUSTOMER,
      NGX_CSQ_FN_WS_OPEN, NGX_CSQ_API_CLOSE|NGX_CSQ_API_WS,
      ngx_csq_api_customer_ws, NULL,
      NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/agent/ws", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_WS_OPEN, NGX_CSQ_API_CLOSE|NGX_CSQ_API_WS,
      ngx_csq_api_agent_ws, NULL,
      NULL, NULL },

    /* follow-up: contact plans (R7.4), the callback list (R4.9, R7.5) */

    { NGX_HTTP_GET, "tenants/:t/plans", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_PLANS, NGX_CSQ_API_QUERY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/plans", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_PLAN_ADD, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/plans/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_PLAN_GET, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_PUT, "tenants/:t/plans/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_PLAN_PUT, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/callbacks", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CALLBACKS, NGX_CSQ_API_QUERY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/callbacks/:id/done", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CALLBACK_DONE, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    /* tickets (R6.5): functions/lib/tickets.lua */

    { NGX_HTTP_GET, "tenants/:t/tickets", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_TICKETS, NGX_CSQ_API_QUERY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/tickets", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_TICKET_NEW, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_GET, "tenants/:t/tickets/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_TICKET_GET, 0, NULL, NULL, NULL, NULL },

    { NGX_HTTP_PUT, "tenants/:t/tickets/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_TICKET_PUT, NGX_CSQ_API_BODY, NULL, NULL, NULL, NULL },

    { NGX_HTTP_POST, "tenants/:t/tickets/:id/comments", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_TICKET_COMMENT, NGX_CSQ_API_BODY, NULL, NULL, NULL,
      NULL },

    { 0, NULL, 0, 0, 0, NULL, NULL, NULL, NULL }
};

ngx_int_t
ngx_csq_api_handler(ngx_http_request_t *r)
{
    char               *message;
    ngx_int_t           rc, status;
    ngx_uint_t          allowed;
    ngx_csq_ctx_t      *ctx;
    ngx_csq_route_t    *route;
    ngx_csq_api_ctx_t  *actx;

    ctx = ngx_csq_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    actx = ngx_pcalloc(r->pool, sizeof(ngx_csq_api_ctx_t));
    if (actx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->data = actx;

    if (ngx_csq_api_match(r, actx, &allowed) != NGX_OK) {

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        if (allowed) {
            return ngx_csq_json_not_allowed(r, allowed);
        }

        return ngx_csq_json_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                  "no such endpoint");
    }

    route = actx->route;

    if (route->flags & NGX_CSQ_API_CLOSE) {
        r->keepalive = 0;
    }

    status = ngx_csq_api_auth(r, actx, &message);

    if (status != NGX_OK) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_csq_json_error(r, status,
                                  status == NGX_HTTP_UNAUTHORIZED
                                  ? "unauthorized" : "forbidden", message);
    }

    actx->call.registry = (route->flags & NGX_CSQ_API_REGISTRY) ? 1 : 0;

    if (route->flags & NGX_CSQ_API_QUERY) {
        actx->call.body = r->args;
    }

    if (route->arg && route->handler == NULL) {
        actx->call.extra.data = (u_char *) route->arg;
        actx->call.extra.len = ngx_strlen(route->arg);
    }

    if (route->handler) {
        return route->handler(r, &actx->call);
    }

    if (route->flags & NGX_CSQ_API_BODY) {
        return ngx_csq_json_read_body(r, ngx_csq_api_body);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_csq_call(r, &actx->call, ngx_csq_api_reply(route));
}


/* what answers a route's reply: CSV, the next batch, or the reply itself */

static ngx_csq_reply_pt
ngx_csq_api_reply(ngx_csq_route_t *route)
{
    if (route->flags & NGX_CSQ_API_CSV) {
        return ngx_csq_api_csv;
    }

    if (route->flags & NGX_CSQ_API_BATCH) {
        return ngx_csq_api_batch;
    }

    return NULL;
}


/* the route of the method and the path after the location's prefix */

static ngx_int_t
ngx_csq_api_match(ngx_http_request_t *r, ngx_csq_api_ctx_t *actx,
    ngx_uint_t *allowed)
{
    u_char                    *p, *last, *s;
    char                      *pat, *pe;
    ngx_str_t                  seg, pseg, tenant, id;
    ngx_uint_t                 i, ok;
    ngx_http_core_loc_conf_t  *hclcf;

    *allowed = 0;

    hclcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (r->uri.len < hclcf->name.len) {
        return NGX_DECLINED;
    }

    for (i = 0; ngx_csq_routes[i].path; i++) {

        p = r->uri.data + hclcf->name.len;
        last = r->uri.data + r->uri.len;
        pat = ngx_csq_routes[i].path;
        ok = 1;

        ngx_str_null(&tenant);
        ngx_str_null(&id);

        while (ok && *pat) {
            pe = ngx_strchr(pat, '/');
            if (pe == NULL) {
                pe = pat + ngx_strlen(pat);
            }

            pseg.data = (u_char *) pat;
            pseg.len = pe - pat;
            pat = *pe ? pe + 1 : pe;

            if (p >= last) {
                ok = 0;
                break;
            }

            s = ngx_strlchr(p, last, '/');
            seg.data = p;
            seg.len = (s ? s : last) - p;
            p = s ? s + 1 : last;

            if (pseg.len == 2 && ngx_strncmp(pseg.data, ":t", 2) == 0) {
                ok = ngx_csq_api_segment(&seg, &tenant) == NGX_OK;

            } else if (pseg.len == 3
                       && ngx_strncmp(pseg.data, ":id", 3) == 0)
            {
                ok = ngx_csq_api_segment(&seg, &id) == NGX_OK;

            } else {
                ok = seg.len == pseg.len
                     && ngx_strncmp(seg.data, pseg.data, seg.len) == 0;
            }
        }

        if (!ok || p != last || r->uri.data[r->uri.len - 1] == '/') {
            continue;
        }

        *allowed |= ngx_csq_routes[i].method;

        if (ngx_csq_routes[i].method == NGX_HTTP_GET) {
            *allowed |= NGX_HTTP_HEAD;
        }

        if (ngx_csq_routes[i].method != r->method
            && !(ngx_csq_routes[i].method == NGX_HTTP_GET
                 && r->method == NGX_HTTP_HEAD))
        {
            continue;
        }

        actx->route = &ngx_csq_routes[i];
        actx->call.fn = ngx_csq_routes[i].fn;
        actx->call.tenant = tenant;
        actx->call.id = id;

        return NGX_OK;
    }

    return NGX_DECLINED;
}


/* an id in a path: 1-64 of A-Z a-z 0-9 _ - . */


/*
 * DELETE tenants/<t>: batch after batch of its keys (tenant_del.lua), one
 * call each, until the walk is done; Redis serves others in between
 */

static ngx_int_t
ngx_csq_api_tenant_del(ngx_http_request_t *r, ngx_csq_fcall_t *a)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_str_null(&a->extra);

    return ngx_csq_call(r, a, ngx_csq_api_batch);
}


/*
 * A function that works in batches (a tenant's delete, an import) answers
 * { status, JSON, next }: next (but '0') is the EXTRA of the call that
 * goes on; the reply without one, or with '0', is the answer
 */

static ngx_int_t
ngx_csq_api_batch(ngx_http_request_t *r, void *data)
{
    redisReply  *reply = data;

    ngx_csq_ctx_t      *ctx;
    ngx_csq_api_ctx_t  *actx;

    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3
        && reply->element[2]->type == REDIS_REPLY_STRING
        && !(reply->element[2]->len == 1 && reply->element[2]->str[0] == '0'))
    {
        ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
        actx = ctx->data;

        actx->call.extra.len = reply->element[2]->len;
        actx->call.extra.data = ngx_pnalloc(r->pool, actx->call.extra.len);
        if (actx->call.extra.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(actx->call.extra.data, reply->element[2]->str,
                   actx->call.extra.len);

        return ngx_csq_call(r, &actx->call, ngx_csq_api_batch);
    }

    return ngx_csq_call_reply(r, reply);
}


static ngx_int_t
ngx_csq_api_segment(ngx_str_t *seg, ngx_str_t *out)
{
    if (ngx_csq_valid_id(seg) != NGX_OK) {
        return NGX_DECLINED;
    }

    *out = *seg;

    return NGX_OK;
}


/* NGX_OK, or 401 or 403 with the reason */

static ngx_int_t
ngx_csq_api_auth(ngx_http_request_t *r, ngx_csq_api_ctx_t *actx,
    char **message)
{
    ngx_int_t             rc;
    ngx_csq_token_t      *tk;
    ngx_csq_main_conf_t  *cmcf;

    tk = &actx->call.token;
    tk->role = NGX_CSQ_ROLE_NONE;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);

    rc = ngx_csq_token_check(r, &cmcf->secret, tk,
                             actx->route->flags & NGX_CSQ_API_WS);

    /*
     * R9.5: a platform token holds while its generation is the configured
     * one (none written: 0); the library checks the others' sessions
     */

    if (rc == NGX_OK && tk->role == NGX_CSQ_ROLE_PLATFORM
        && (tk->session.len ? ngx_atoi(tk->session.data, tk->session.len)
                            : 0)
           != cmcf->platform_generation)
    {
        rc = NGX_ERROR;
    }

    if (rc == NGX_ERROR) {
        tk->role = NGX_CSQ_ROLE_NONE;
        *message = "the token is invalid, expired or revoked";
        return NGX_HTTP_UNAUTHORIZED;
    }

    if (actx->route->role == NGX_CSQ_ROLE_NONE) {
        return NGX_OK;
    }

    if (rc == NGX_DECLINED) {
        *message = "a bearer token is required";
        return NGX_HTTP_UNAUTHORIZED;
    }

    /* a token never reaches into another tenant */

    if (tk->role != NGX_CSQ_ROLE_PLATFORM
        && (tk->tenant.len != actx->call.tenant.len
            || ngx_strncmp(tk->tenant.data, actx->call.tenant.data,
                           tk->tenant.len) != 0))
    {
        *message = "the token is for another tenant";
        return NGX_HTTP_FORBIDDEN;
    }

    if (tk->role >= actx->route->role) {
        return NGX_OK;
    }

    if ((actx->route->flags & NGX_CSQ_API_SELF)
        && tk->role >= NGX_CSQ_ROLE_AGENT
        && tk->agent.len == actx->call.id.len
        && ngx_strncmp(tk->agent.data, actx->call.id.data, tk->agent.len)
           == 0)
    {
        return NGX_OK;
    }

    *message = "the token's role may not do this";
    return NGX_HTTP_FORBIDDEN;
}


/*
 * The parsed body is a guard before Redis (an object within the parser's
 * limits); the function reads the text again for its fields
 */

static ngx_int_t
ngx_csq_api_body(ngx_http_request_t *r, ngx_csq_json_t *body)
{
    char               *message;
    ngx_csq_ctx_t      *ctx;
    ngx_csq_api_ctx_t  *actx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    actx = ctx->data;

    if (body->type != NGX_CSQ_JSON_OBJECT) {
        return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST, "invalid_field",
                                  "\"body\" must be a JSON object");
    }

    if (actx->route->arrays) {
        message = ngx_csq_api_arrays(r, body, actx->route->arrays);

        if (message) {
            return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST,
                                      "invalid_field", message);
        }
    }

    if (ngx_csq_json_body_text(r, &actx->call.body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (actx->route->body) {
        return actx->route->body(r, &actx->call, body);
    }

    return ngx_csq_call(r, &actx->call, ngx_csq_api_reply(actx->route));
}

/*
 * the route's array fields are arrays (see ngx_csq_arrays_tenant): NULL,
 * or what is wrong
 */

static char *
ngx_csq_api_arrays(ngx_http_request_t *r, ngx_csq_json_t *body,
    char **arrays)
{
    u_char          *msg, *p;
    size_t           len;
    ngx_csq_json_t  *v;
    u_char           name[64];

    for ( /* void */ ; *arrays; arrays++) {
        len = ngx_strlen(*arrays);
        p = (u_char *) ngx_strchr(*arrays, '.');

        if (p == NULL) {
            v = ngx_csq_json_get(body, *arrays);

            if (v == NULL || v->type == NGX_CSQ_JSON_ARRAY
                || v->type == NGX_CSQ_JSON_NULL)
            {
                continue;
            }

        } else {
            ngx_cpystrn(name, (u_char *) *arrays,
                        ngx_min((size_t) (p - (u_char *) *arrays) + 1,
                                sizeof(name)));
            v = ngx_csq_json_get(body, (char *) name);

            if (v == NULL || v->type != NGX_CSQ_JSON_OBJECT) {
                continue;       /* the function says what the parent is */
            }

            v = ngx_csq_json_get(v, (char *) p + 1);

            if (v == NULL || v->type == NGX_CSQ_JSON_ARRAY) {
                continue;
            }
        }

        msg = ngx_pnalloc(r->pool, len + sizeof("\"\" must be an array"));
        if (msg == NULL) {
            return "out of memory";
        }

        ngx_sprintf(msg, "\"%s\" must be an array%Z", *arrays);

        return (char *) msg;
    }

    return NULL;
}


/*
 * A CSV answer, downloaded as export.csv.  An export comes in calls of a
 * bounded number of rows: { 200, rows, next, go }, go (not empty) the
 * EXTRA of the call to make next; the rows of all go out as one body,
 * with X-Csq-Next (the before= of the next request) when the last call
 * gave a next.  Other CSV answers are { 200, rows }.
 */

static ngx_int_t
ngx_csq_api_csv(ngx_http_request_t *r, void *data)
{
    redisReply  *reply = data;

    u_char             *p;
    ngx_int_t           rc;
    ngx_str_t           csv, next, *part;
    ngx_uint_t          i;
    ngx_csq_ctx_t      *ctx;
    ngx_csq_api_ctx_t  *actx;
    ngx_str_t  type = ngx_string("text/csv; charset=utf-8");
    ngx_str_t  disposition = ngx_string("attachment; filename=\"export.csv\"");

    rc = ngx_csq_call_expect(r, data, NGX_HTTP_OK, &csv);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    actx = ctx->data;

    if (actx->csv == NULL) {
        actx->csv = ngx_array_create(r->pool, 4, sizeof(ngx_str_t));
        if (actx->csv == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    part = ngx_array_push(actx->csv);
    if (part == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *part = csv;

    if (reply->elements == 4
        && ngx_csq_api_reply_str(r, reply->element[3], &actx->call.extra)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (reply->elements == 4 && actx->call.extra.len) {
        return ngx_csq_call(r, &actx->call, ngx_csq_api_csv);
    }

    /* all the rows, in the order they came */

    csv.len = 0;
    part = actx->csv->elts;

    for (i = 0; i < actx->csv->nelts; i++) {
        csv.len += part[i].len;
    }

    csv.data = ngx_pnalloc(r->pool, csv.len + 1);
    if (csv.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = csv.data;

    for (i = 0; i < actx->csv->nelts; i++) {
        p = ngx_cpymem(p, part[i].data, part[i].len);
    }

    if (ngx_csq_add_header(r, "Content-Disposition", &disposition)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a long export goes on from the cursor r[3] (its before=) */

    if (reply->elements >= 3) {
        if (ngx_csq_api_reply_str(r, reply->element[2], &next) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (next.len
            && ngx_csq_add_header(r, "X-Csq-Next", &next) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_csq_send_body(r, NGX_HTTP_OK, &type, &csv);
}


/* a string of a reply, copied into the request's pool ('' for another) */

static ngx_int_t
ngx_csq_api_reply_str(ngx_http_request_t *r, redisReply *e, ngx_str_t *s)
{
    s->len = e->type == REDIS_REPLY_STRING ? e->len : 0;
    s->data = ngx_pnalloc(r->pool, s->len + 1);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, e->str, s->len);

    return NGX_OK;
}


/* a page of the tenant (its file is the route's) or another file */

static ngx_int_t
ngx_csq_api_page(ngx_http_request_t *r, ngx_csq_fcall_t *a)
{
    ngx_int_t           rc;
    ngx_csq_ctx_t      *ctx;
    ngx_csq_api_ctx_t  *actx;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    actx = ctx->data;

    if (actx->route->arg) {
        a->id.data = (u_char *) actx->route->arg;
        a->id.len = ngx_strlen(actx->route->arg);
    }

    return ngx_csq_page_handler(r, &a->tenant, &a->id);
}


static ngx_int_t
ngx_csq_api_customer_ws(ngx_http_request_t *r, ngx_csq_fcall_t *a)
{
    return ngx_csq_chat_handler(r, &a->tenant, &a->token, 1);
}


static ngx_int_t
ngx_csq_api_agent_ws(ngx_http_request_t *r, ngx_csq_fcall_t *a)
{
    return ngx_csq_chat_handler(r, &a->tenant, &a->token, 0);
}
