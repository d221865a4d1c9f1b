
/*
 * Copyright (C) ngx_csq_module authors
 *
 * csq_api: the JSON API under a location prefix.  Each route names the
 * least role it needs and the one Redis script that does its work; this
 * file checks who asks (bearer token, tenant, role), hands the script the
 * path id and the body, and sends back the status and JSON the script
 * returns.  Logins are checked here (PBKDF2) and answered with a token.
 */


#include <openssl/rand.h>
#include "ngx_csq_module.h"
#include "ngx_csq_api.h"
#include "ngx_csq_http.h"
#include "ngx_csq_call.h"
#include "ngx_csq_redis.h"
#include "ngx_csq_json.h"
#include "ngx_csq_auth.h"
#include "ngx_csq_pages.h"
#include "ngx_csq_chat_open.h"


#define NGX_CSQ_API_BODY       0x01    /* takes a JSON body */
#define NGX_CSQ_API_SELF       0x02    /* an agent may act on its own id */
#define NGX_CSQ_API_LOGIN      0x04    /* answers with a token */
#define NGX_CSQ_API_PASSWORD   0x08    /* body.password is hashed here */
#define NGX_CSQ_API_CUSTOMER   0x10    /* answers with a customer token */
#define NGX_CSQ_API_REGISTRY   0x20    /* KEYS[2] is the tenant registry */
#define NGX_CSQ_API_WS         0x40    /* a socket handshake */
#define NGX_CSQ_API_IDENTITY   0x80    /* answered here, no script */
#define NGX_CSQ_API_PAGE       0x100   /* a page or asset (www/) */
#define NGX_CSQ_API_ENTRY      0x200   /* a visitor: answers with a token */
#define NGX_CSQ_API_QUERY      0x400   /* the id is the query string */
#define NGX_CSQ_API_CSV        0x800   /* answers CSV (EXTRA "csv") */

/* a visitor's token lasts a month: the page keeps it */
#define NGX_CSQ_VISITOR_TTL    (30 * 24 * 60 * 60)

#define NGX_CSQ_API_ARGS       9


typedef struct {
    ngx_uint_t          method;
    char               *path;       /* ":t" the tenant, ":id" an id */
    ngx_uint_t          role;       /* the least role that may call it */
    ngx_uint_t          script;
    ngx_uint_t          flags;
    char               *page;       /* the file of a page route */
} ngx_csq_route_t;


typedef struct {
    ngx_csq_route_t    *route;
    ngx_str_t           tenant;
    ngx_str_t           id;
    ngx_csq_token_t     token;
    ngx_str_t           login;      /* agent and password of a login */
    ngx_str_t           password;
    ngx_uint_t          role;       /* the role a login gives */
    ngx_str_t           body;       /* kept while a password is hashed */
} ngx_csq_api_ctx_t;


static ngx_int_t ngx_csq_api_match(ngx_http_request_t *r,
    ngx_csq_api_ctx_t *actx, ngx_uint_t *path_found);
static ngx_int_t ngx_csq_api_segment(ngx_str_t *seg, ngx_str_t *out);
static ngx_int_t ngx_csq_api_auth(ngx_http_request_t *r,
    ngx_csq_api_ctx_t *actx, char **message);
static ngx_int_t ngx_csq_api_body(ngx_http_request_t *r,
    ngx_csq_json_t *body);
static ngx_int_t ngx_csq_api_run(ngx_http_request_t *r, ngx_str_t *body,
    ngx_str_t *extra);
static ngx_int_t ngx_csq_api_reply(ngx_http_request_t *r, void *data);
static ngx_int_t ngx_csq_api_login(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_csq_api_add_token(ngx_http_request_t *r, char *what,
    ngx_str_t *id, time_t ttl, ngx_str_t *json);
static ngx_int_t ngx_csq_api_token(ngx_http_request_t *r,
    ngx_csq_token_t *tk, time_t ttl, ngx_str_t *token);
static ngx_int_t ngx_csq_api_verify(ngx_http_request_t *r,
    ngx_csq_json_t *body, ngx_str_t *text);
static ngx_int_t ngx_csq_api_identity(ngx_http_request_t *r,
    ngx_str_t *tenant);
static ngx_int_t ngx_csq_api_entry(ngx_http_request_t *r,
    ngx_csq_json_t *body, ngx_str_t *text);
static ngx_int_t ngx_csq_api_csv(ngx_http_request_t *r, ngx_str_t *csv);
static void ngx_csq_api_hashed(ngx_http_request_t *r, ngx_int_t rc,
    ngx_str_t *hash);
static void ngx_csq_api_logged_in(ngx_http_request_t *r, ngx_int_t rc,
    ngx_str_t *hash);


static ngx_csq_route_t  ngx_csq_routes[] = {

    { NGX_HTTP_PUT, "tenants/:t", NGX_CSQ_ROLE_PLATFORM,
      NGX_CSQ_FN_TENANT_PUT, NGX_CSQ_API_BODY|NGX_CSQ_API_REGISTRY,
      NULL },

    { NGX_HTTP_GET, "tenants/:t", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_TENANT_GET, 0, NULL },

    { NGX_HTTP_DELETE, "tenants/:t", NGX_CSQ_ROLE_PLATFORM,
      NGX_CSQ_FN_TENANT_DEL, NGX_CSQ_API_REGISTRY, NULL },

    { NGX_HTTP_PUT, "tenants/:t/rules", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_RULES_PUT, NGX_CSQ_API_BODY, NULL },

    { NGX_HTTP_PUT, "tenants/:t/queues/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_QUEUE_PUT, NGX_CSQ_API_BODY, NULL },

    { NGX_HTTP_GET, "tenants/:t/queues/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_QUEUE_GET, 0, NULL },

    { NGX_HTTP_PUT, "tenants/:t/agents/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_AGENT_PUT, NGX_CSQ_API_BODY|NGX_CSQ_API_PASSWORD, NULL },

    { NGX_HTTP_GET, "tenants/:t/agents/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_AGENT_GET, 0, NULL },

    { NGX_HTTP_POST, "tenants/:t/agents/:id/status",
      NGX_CSQ_ROLE_SUPERVISOR, NGX_CSQ_FN_AGENT_STATUS,
      NGX_CSQ_API_BODY|NGX_CSQ_API_SELF, NULL },

    { NGX_HTTP_GET, "tenants/:t/agents/:id/conversations",
      NGX_CSQ_ROLE_SUPERVISOR, NGX_CSQ_FN_AGENT_CONVS,
      NGX_CSQ_API_SELF, NULL },

    { NGX_HTTP_PUT, "tenants/:t/customers/:id", NGX_CSQ_ROLE_SUPERVISOR,
      NGX_CSQ_FN_CUSTOMER_PUT, NGX_CSQ_API_BODY, NULL },

    { NGX_HTTP_POST, "tenants/:t/login", NGX_CSQ_ROLE_NONE,
      NGX_CSQ_FN_LOGIN, NGX_CSQ_API_BODY|NGX_CSQ_API_LOGIN, NULL },

    { NGX_HTTP_DELETE, "tenants/:t/queues/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_QUEUE_DEL, 0, NULL },

    { NGX_HTTP_DELETE, "tenants/:t/agents/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_AGENT_DEL, 0, NULL },

    { NGX_HTTP_GET, "tenants/:t/agents", NGX_CSQ_ROLE_SUPERVISOR,
      NGX_CSQ_FN_TEAM, 0, NULL },

    { NGX_HTTP_GET, "tenants/:t/waiting", NGX_CSQ_ROLE_SUPERVISOR,
      NGX_CSQ_FN_WAITING, 0, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations", NGX_CSQ_ROLE_NONE,
      NGX_CSQ_FN_ARRIVE, NGX_CSQ_API_BODY|NGX_CSQ_API_CUSTOMER, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/transfer",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_CONV_TRANSFER, NGX_CSQ_API_BODY,
      NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/claim",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_CONV_CLAIM, 0, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/assign",
      NGX_CSQ_ROLE_SUPERVISOR, NGX_CSQ_FN_CONV_ASSIGN,
      NGX_CSQ_API_BODY, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/priority",
      NGX_CSQ_ROLE_SUPERVISOR, NGX_CSQ_FN_CONV_PRIORITY,
      NGX_CSQ_API_BODY, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/leave",
      NGX_CSQ_ROLE_CUSTOMER, NGX_CSQ_FN_CONV_LEAVE, 0, NULL },

    { NGX_HTTP_GET, "tenants/:t/conversations/:id", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_CONV_GET, 0, NULL },

    { NGX_HTTP_POST, "tenants/:t/conversations/:id/end",
      NGX_CSQ_ROLE_AGENT, NGX_CSQ_FN_CONV_END, NGX_CSQ_API_BODY, NULL },

    { NGX_HTTP_GET, "tenants/:t/chat", NGX_CSQ_ROLE_NONE,
      NGX_CSQ_FN_PAGE, NGX_CSQ_API_PAGE, "chat.html" },

    { NGX_HTTP_GET, "tenants/:t/widget.js", NGX_CSQ_ROLE_NONE,
      NGX_CSQ_FN_PAGE, NGX_CSQ_API_PAGE, "widget.js" },

    { NGX_HTTP_GET, "tenants/:t/workbench", NGX_CSQ_ROLE_NONE,
      NGX_CSQ_FN_PAGE, NGX_CSQ_API_PAGE, "workbench.html" },

    { NGX_HTTP_GET, "assets/:id", NGX_CSQ_ROLE_NONE,
      0, NGX_CSQ_API_PAGE, NULL },

    { NGX_HTTP_POST, "tenants/:t/entry", NGX_CSQ_ROLE_NONE,
      NGX_CSQ_FN_ENTRY, NGX_CSQ_API_BODY|NGX_CSQ_API_ENTRY, NULL },

    { NGX_HTTP_PUT, "tenants/:t/keywords", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_KEYWORDS_PUT, NGX_CSQ_API_BODY, NULL },

    { NGX_HTTP_GET, "tenants/:t/keywords", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_KEYWORDS_GET, 0, NULL },

    { NGX_HTTP_GET, "tenants/:t/links", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_LINKS, 0, NULL },

    { NGX_HTTP_GET, "tenants/:t/links/export", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_LINKS, NGX_CSQ_API_CSV, NULL },

    { NGX_HTTP_PUT, "tenants/:t/links/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_LINK_PUT, NGX_CSQ_API_BODY, NULL },

    { NGX_HTTP_GET, "tenants/:t/links/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_LINK_GET, 0, NULL },

    { NGX_HTTP_DELETE, "tenants/:t/links/:id", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_LINK_DEL, 0, NULL },

    { NGX_HTTP_GET, "tenants/:t/visitors", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_VISITORS, NGX_CSQ_API_QUERY, NULL },

    { NGX_HTTP_GET, "tenants/:t/visitors/export", NGX_CSQ_ROLE_ADMIN,
      NGX_CSQ_FN_VISITORS, NGX_CSQ_API_QUERY|NGX_CSQ_API_CSV, NULL },

    { NGX_HTTP_GET, "tenants/:t/identity", NGX_CSQ_ROLE_ADMIN,
      0, NGX_CSQ_API_IDENTITY, NULL },

    { NGX_HTTP_GET, "tenants/:t/chat/ws", NGX_CSQ_ROLE_CUSTOMER,
      NGX_CSQ_FN_WS_OPEN, NGX_CSQ_API_WS, NULL },

    { NGX_HTTP_GET, "tenants/:t/agent/ws", NGX_CSQ_ROLE_AGENT,
      NGX_CSQ_FN_WS_OPEN, NGX_CSQ_API_WS, NULL },

    { 0, NULL, 0, 0, 0, NULL }
};


ngx_int_t
ngx_csq_api_handler(ngx_http_request_t *r)
{
    char               *message;
    ngx_int_t           rc, status;
    ngx_uint_t          path_found;
    ngx_csq_ctx_t      *ctx;
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

    if (ngx_csq_api_match(r, actx, &path_found) != NGX_OK) {

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        if (path_found) {
            return ngx_csq_json_error(r, NGX_HTTP_NOT_ALLOWED,
                                      "method_not_allowed",
                                      "this path does not take "
                                      "this method");
        }

        return ngx_csq_json_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                  "no such endpoint");
    }

    if (actx->route->flags & NGX_CSQ_API_WS) {
        r->keepalive = 0;   /* a refused handshake ends the connection */
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

    if (actx->route->flags & NGX_CSQ_API_PAGE) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        if (actx->route->page) {
            actx->id.data = (u_char *) actx->route->page;
            actx->id.len = ngx_strlen(actx->route->page);
        }

        return ngx_csq_page_handler(r, &actx->tenant, &actx->id);
    }

    if (actx->route->flags & NGX_CSQ_API_IDENTITY) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_csq_api_identity(r, &actx->tenant);
    }

    if (actx->route->flags & NGX_CSQ_API_WS) {
        return ngx_csq_chat_handler(r, &actx->tenant, &actx->token,
                                    actx->route->role
                                    == NGX_CSQ_ROLE_CUSTOMER);
    }

    if (actx->route->flags & NGX_CSQ_API_BODY) {
        return ngx_csq_json_read_body(r, ngx_csq_api_body);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_csq_api_run(r, NULL, NULL);
}


/* the route of the method and the path after the location's prefix */

static ngx_int_t
ngx_csq_api_match(ngx_http_request_t *r, ngx_csq_api_ctx_t *actx,
    ngx_uint_t *path_found)
{
    u_char                    *p, *last, *s;
    char                      *pat, *pe;
    ngx_str_t                  seg, pseg, tenant, id;
    ngx_uint_t                 i, ok;
    ngx_http_core_loc_conf_t  *hclcf;

    *path_found = 0;

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

        *path_found = 1;

        if (ngx_csq_routes[i].method != r->method
            && !(ngx_csq_routes[i].method == NGX_HTTP_GET
                 && r->method == NGX_HTTP_HEAD))
        {
            continue;
        }

        actx->route = &ngx_csq_routes[i];
        actx->tenant = tenant;
        actx->id = id;

        return NGX_OK;
    }

    return NGX_DECLINED;
}


/* an id in a path: 1-64 of A-Z a-z 0-9 _ - . */

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

    tk = &actx->token;
    tk->role = NGX_CSQ_ROLE_NONE;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);

    rc = ngx_csq_token_check(r, &cmcf->secret, tk);

    if (rc == NGX_ERROR) {
        tk->role = NGX_CSQ_ROLE_NONE;
        *message = "the token is invalid or expired";
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
        && (tk->tenant.len != actx->tenant.len
            || ngx_strncmp(tk->tenant.data, actx->tenant.data,
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
        && tk->agent.len == actx->id.len
        && ngx_strncmp(tk->agent.data, actx->id.data, tk->agent.len) == 0)
    {
        return NGX_OK;
    }

    *message = "the token's role may not do this";
    return NGX_HTTP_FORBIDDEN;
}


static ngx_int_t
ngx_csq_api_body(ngx_http_request_t *r, ngx_csq_json_t *body)
{
    ngx_str_t           text;
    ngx_csq_ctx_t      *ctx;
    ngx_csq_json_t     *v;
    ngx_csq_api_ctx_t  *actx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    actx = ctx->data;

    if (body->type != NGX_CSQ_JSON_OBJECT) {
        return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST, "invalid_field",
                                  "\"body\" must be a JSON object");
    }

    if (ngx_csq_json_body_text(r, &text) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (actx->route->flags & (NGX_CSQ_API_PASSWORD|NGX_CSQ_API_LOGIN)) {

        v = ngx_csq_json_get(body, "password");

        if (v) {
            if (v->type != NGX_CSQ_JSON_STRING || v->value.len < 8
                || v->value.len > 256)
            {
                return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST,
                                          "invalid_field",
                                          "\"password\" must be a string "
                                          "of 8 to 256 bytes");
            }

            actx->password = v->value;
        }

        if (actx->route->flags & NGX_CSQ_API_LOGIN) {
            v = ngx_csq_json_get(body, "agent");

            if (v == NULL || v->type != NGX_CSQ_JSON_STRING
                || actx->password.len == 0)
            {
                return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST,
                                          "invalid_field",
                                          "\"agent\" and \"password\" "
                                          "are required");
            }

            actx->login = v->value;

        } else if (actx->password.len) {
            actx->body = text;
            return ngx_csq_password_job(r, &actx->password, NULL,
                                        ngx_csq_api_hashed);
        }
    }

    if (actx->route->flags & NGX_CSQ_API_CUSTOMER) {
        return ngx_csq_api_verify(r, body, &text);
    }

    if (actx->route->flags & NGX_CSQ_API_ENTRY) {
        return ngx_csq_api_entry(r, body, &text);
    }

    return ngx_csq_api_run(r, &text, NULL);
}


/*
 * R1.5: an arriving customer with "customer_hash" is one the tenant's site
 * signed in; the script learns it ("verified") and refuses the others
 * when the tenant requires login
 */

static ngx_int_t
ngx_csq_api_verify(ngx_http_request_t *r, ngx_csq_json_t *body,
    ngx_str_t *text)
{
    ngx_str_t             verified;
    ngx_csq_ctx_t        *ctx;
    ngx_csq_json_t       *customer, *hash;
    ngx_csq_api_ctx_t    *actx;
    ngx_csq_main_conf_t  *cmcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    actx = ctx->data;
    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);

    hash = ngx_csq_json_get(body, "customer_hash");

    if (hash == NULL) {
        return ngx_csq_api_run(r, text, NULL);
    }

    customer = ngx_csq_json_get(body, "customer");

    if (hash->type != NGX_CSQ_JSON_STRING || customer == NULL
        || customer->type != NGX_CSQ_JSON_STRING
        || ngx_csq_identity_check(&cmcf->secret, &actx->tenant,
                                  &customer->value, &hash->value)
           != NGX_OK)
    {
        return ngx_csq_json_error(r, NGX_HTTP_UNAUTHORIZED, "bad_identity",
                                  "\"customer_hash\" is not the site's "
                                  "signature of \"customer\"");
    }

    ngx_str_set(&verified, "verified");

    return ngx_csq_api_run(r, text, &verified);
}


/*
 * POST tenants/<t>/entry: who the page's visitor is.  Its token (from an
 * earlier visit), or a customer the site signed in (customer_hash), or a
 * new visitor with a random id; the link is the id of the script call.
 */

static ngx_int_t
ngx_csq_api_entry(ngx_http_request_t *r, ngx_csq_json_t *body,
    ngx_str_t *text)
{
    u_char               *p;
    ngx_str_t             verified, *extra;
    ngx_csq_ctx_t        *ctx;
    ngx_csq_json_t       *v, *customer;
    ngx_csq_token_t       tk;
    ngx_csq_api_ctx_t    *actx;
    ngx_csq_main_conf_t  *cmcf;
    u_char                rnd[10];

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    actx = ctx->data;
    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);

    extra = NULL;
    ngx_str_null(&actx->token.agent);

    v = ngx_csq_json_get(body, "ch");

    if (v && v->type != NGX_CSQ_JSON_NULL) {
        if (v->type != NGX_CSQ_JSON_STRING
            || ngx_csq_valid_id(&v->value) != NGX_OK)
        {
            return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST,
                                      "invalid_field",
                                      "\"ch\" must be a link id");
        }

        actx->id = v->value;
    }

    /* a customer the site signed in */

    v = ngx_csq_json_get(body, "customer_hash");

    if (v && v->type != NGX_CSQ_JSON_NULL) {
        customer = ngx_csq_json_get(body, "customer");

        if (v->type != NGX_CSQ_JSON_STRING || customer == NULL
            || customer->type != NGX_CSQ_JSON_STRING
            || ngx_csq_valid_id(&customer->value) != NGX_OK
            || ngx_csq_identity_check(&cmcf->secret, &actx->tenant,
                                      &customer->value, &v->value)
               != NGX_OK)
        {
            return ngx_csq_json_error(r, NGX_HTTP_UNAUTHORIZED,
                                      "bad_identity",
                                      "\"customer_hash\" is not the site's "
                                      "signature of \"customer\"");
        }

        actx->token.agent = customer->value;
        ngx_str_set(&verified, "verified");
        extra = &verified;
    }

    /* a visitor seen before */

    v = ngx_csq_json_get(body, "visitor_token");

    if (actx->token.agent.len == 0 && v && v->type == NGX_CSQ_JSON_STRING
        && ngx_csq_token_parse(r->pool, &cmcf->secret, &v->value, &tk)
           == NGX_OK
        && tk.role == NGX_CSQ_ROLE_CUSTOMER
        && tk.tenant.len == actx->tenant.len
        && ngx_strncmp(tk.tenant.data, actx->tenant.data, tk.tenant.len) == 0
        && ngx_strlchr(tk.agent.data, tk.agent.data + tk.agent.len, '/')
           == NULL)
    {
        actx->token.agent = tk.agent;
    }

    /* or a new one */

    if (actx->token.agent.len == 0) {
        p = ngx_pnalloc(r->pool, 1 + 2 * sizeof(rnd));
        if (p == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p[0] = 'v';
        ngx_hex_dump(p + 1, rnd, sizeof(rnd));

        actx->token.agent.data = p;
        actx->token.agent.len = 1 + 2 * sizeof(rnd);
    }

    actx->token.role = NGX_CSQ_ROLE_CUSTOMER;

    return ngx_csq_api_run(r, text, extra);
}


/* a CSV answer, downloaded as export.csv */

static ngx_int_t
ngx_csq_api_csv(ngx_http_request_t *r, ngx_str_t *csv)
{
    ngx_str_t  type = ngx_string("text/csv; charset=utf-8");
    ngx_str_t  disposition = ngx_string("attachment; filename=\"export.csv\"");

    if (ngx_csq_add_header(r, "Content-Disposition", &disposition)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_csq_send_body(r, NGX_HTTP_OK, &type, csv);
}


/* GET tenants/<t>/identity: the key the tenant's site signs ids with */

static ngx_int_t
ngx_csq_api_identity(ngx_http_request_t *r, ngx_str_t *tenant)
{
    ngx_str_t             json;
    ngx_csq_main_conf_t  *cmcf;
    u_char                key[NGX_CSQ_IDENTITY_KEY_LEN];

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);

    ngx_csq_identity_key(&cmcf->secret, tenant, key);

    json.data = ngx_pnalloc(r->pool, sizeof("{\"tenant\":\"\","
                                            "\"identity_key\":\"\"}")
                                     + tenant->len + sizeof(key));
    if (json.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json.len = ngx_sprintf(json.data,
                           "{\"tenant\":\"%V\",\"identity_key\":\"%*s\"}",
                           tenant, sizeof(key), key)
               - json.data;

    return ngx_csq_json_send_text(r, NGX_HTTP_OK, &json);
}


/* the new password is hashed: now the script stores it */

static void
ngx_csq_api_hashed(ngx_http_request_t *r, ngx_int_t rc, ngx_str_t *hash)
{
    ngx_csq_ctx_t      *ctx;
    ngx_csq_api_ctx_t  *actx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    actx = ctx->data;

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_finalize_request(r, ngx_csq_api_run(r, &actx->body, hash));
}


static ngx_int_t
ngx_csq_api_run(ngx_http_request_t *r, ngx_str_t *body, ngx_str_t *extra)
{
    ngx_str_t          *argv, *a;
    ngx_uint_t          nkeys;
    ngx_csq_ctx_t      *ctx;
    ngx_csq_api_ctx_t  *actx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    actx = ctx->data;

    argv = ngx_pcalloc(r->pool, NGX_CSQ_API_ARGS * sizeof(ngx_str_t));
    if (argv == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* KEYS[1]: the tenant's hash; its tag puts all its keys on one slot */

    nkeys = 1;

    if (actx->route->flags & NGX_CSQ_API_REGISTRY) {
        ngx_str_set(&argv[1], NGX_CSQ_REGISTRY_KEY);
        nkeys = 2;
    }

    a = &argv[nkeys];

    if (ngx_csq_fcall_head(r->pool, &actx->tenant, &argv[0], &a[0])
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    a[1] = actx->token.agent;
    a[2].data = (u_char *) ngx_csq_role_name(actx->token.role);
    a[2].len = ngx_strlen(a[2].data);
    a[3] = actx->id;

    if (actx->route->flags & NGX_CSQ_API_QUERY) {
        a[3] = r->args;
    }

    if (actx->route->flags & NGX_CSQ_API_CSV) {
        ngx_str_set(&a[5], "csv");
    }

    if (body) {
        a[4] = *body;
    }

    if (extra) {
        a[5] = *extra;
    }

    ngx_csq_foreign_origin(r, &a[6]);

    return ngx_csq_call(r, actx->route->script, nkeys, argv, nkeys + 7,
                        ngx_csq_api_reply);
}


/* { status, JSON body, ... } from the script */

static ngx_int_t
ngx_csq_api_reply(ngx_http_request_t *r, void *data)
{
    redisReply  *reply = data;

    ngx_int_t           status;
    ngx_str_t           json, id;
    ngx_uint_t          level;
    ngx_csq_ctx_t      *ctx;
    ngx_csq_api_ctx_t  *actx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    actx = ctx->data;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2
        || reply->element[0]->type != REDIS_REPLY_INTEGER
        || reply->element[1]->type != REDIS_REPLY_STRING)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "csq: redis: unexpected reply to an API script");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    status = (ngx_int_t) reply->element[0]->integer;

    if (status < 200 || status > 599) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (status == NGX_HTTP_OK && (actx->route->flags & NGX_CSQ_API_LOGIN)) {
        return ngx_csq_api_login(r, reply);
    }

    json.len = reply->element[1]->len;
    json.data = ngx_pstrdup(r->pool, &(ngx_str_t) {
                                json.len,
                                (u_char *) reply->element[1]->str });
    if (json.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (status == NGX_HTTP_CREATED
        && (actx->route->flags & NGX_CSQ_API_CUSTOMER)
        && reply->elements == 3
        && reply->element[2]->type == REDIS_REPLY_STRING)
    {
        id.data = (u_char *) reply->element[2]->str;
        id.len = reply->element[2]->len;

        if (ngx_csq_api_add_token(r, "customer", &id, 0, &json) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (status == NGX_HTTP_OK && (actx->route->flags & NGX_CSQ_API_ENTRY)) {
        if (ngx_csq_api_add_token(r, "visitor", &actx->token.agent,
                                  NGX_CSQ_VISITOR_TTL, &json)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (status == NGX_HTTP_OK && (actx->route->flags & NGX_CSQ_API_CSV)) {
        return ngx_csq_api_csv(r, &json);
    }

    if (status >= NGX_HTTP_BAD_REQUEST) {
        level = (status >= NGX_HTTP_INTERNAL_SERVER_ERROR) ? NGX_LOG_WARN
                                                          : NGX_LOG_INFO;
        ngx_log_error(level, r->connection->log, 0, "csq: %i %V",
                      status, &json);
    }

    return ngx_csq_json_send_text(r, status, &json);
}


/* { 200, "", role, stored password hash }: check it, answer a token */

static ngx_int_t
ngx_csq_api_login(ngx_http_request_t *r, redisReply *reply)
{
    ngx_str_t           role, stored;
    ngx_csq_ctx_t      *ctx;
    ngx_csq_api_ctx_t  *actx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    actx = ctx->data;

    if (reply->elements != 4
        || reply->element[2]->type != REDIS_REPLY_STRING
        || reply->element[3]->type != REDIS_REPLY_STRING)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    role.data = (u_char *) reply->element[2]->str;
    role.len = reply->element[2]->len;
    stored.data = (u_char *) reply->element[3]->str;
    stored.len = reply->element[3]->len;

    actx->role = ngx_csq_role_parse(&role);

    if (actx->role == NGX_CSQ_ROLE_NONE
        || actx->role == NGX_CSQ_ROLE_PLATFORM)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_csq_password_job(r, &actx->password, &stored,
                                ngx_csq_api_logged_in);
}


/* the password is checked: a token, or 401 */

static void
ngx_csq_api_logged_in(ngx_http_request_t *r, ngx_int_t rc, ngx_str_t *hash)
{
    yajl_gen            g;
    ngx_str_t           token;
    ngx_csq_ctx_t      *ctx;
    ngx_csq_token_t     tk;
    ngx_csq_api_ctx_t  *actx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    actx = ctx->data;

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r,
            ngx_csq_json_error(r, NGX_HTTP_UNAUTHORIZED, "bad_credentials",
                               "unknown agent or wrong password"));
        return;
    }

    tk.agent = actx->login;
    tk.role = actx->role;

    g = ngx_csq_json_gen(r);

    if (g == NULL || ngx_csq_api_token(r, &tk, 0, &token) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    yajl_gen_map_open(g);
    ngx_csq_json_gen_cstr(g, "token");
    ngx_csq_json_gen_str(g, &token);
    ngx_csq_json_gen_cstr(g, "tenant");
    ngx_csq_json_gen_str(g, &tk.tenant);
    ngx_csq_json_gen_cstr(g, "agent");
    ngx_csq_json_gen_str(g, &tk.agent);
    ngx_csq_json_gen_cstr(g, "role");
    ngx_csq_json_gen_cstr(g, ngx_csq_role_name(tk.role));
    ngx_csq_json_gen_cstr(g, "expires");
    (void) yajl_gen_integer(g, tk.expires);
    yajl_gen_map_close(g);

    ngx_http_finalize_request(r, ngx_csq_json_send(r, NGX_HTTP_OK, g));
}


/*
 * A token of the customer role for id, added to the JSON object: as
 * "customer_token" (an arrival's, for its conversation, csq_token_ttl) or
 * as "visitor": {"id","token"} (a page's visitor, ttl seconds)
 */

static ngx_int_t
ngx_csq_api_add_token(ngx_http_request_t *r, char *what, ngx_str_t *id,
    time_t ttl, ngx_str_t *json)
{
    u_char           *p;
    ngx_str_t         token;
    ngx_csq_token_t   tk;

    if (json->len < 2 || json->data[json->len - 1] != '}') {
        return NGX_ERROR;
    }

    tk.agent = *id;
    tk.role = NGX_CSQ_ROLE_CUSTOMER;

    if (ngx_csq_api_token(r, &tk, ttl, &token) != NGX_OK) {
        return NGX_ERROR;
    }

    /* {...} -> {...,"customer_token":"..."}: ids, tokens need no escape */

    p = ngx_pnalloc(r->pool, json->len + id->len + token.len
                             + sizeof(",'visitor':{'id':'','token':''}"));
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (what[0] == 'v') {
        json->len = ngx_sprintf(p, "%*s,\"visitor\":{\"id\":\"%V\","
                                "\"token\":\"%V\"}}",
                                json->len - 1, json->data, id, &token)
                    - p;

    } else {
        json->len = ngx_sprintf(p, "%*s,\"customer_token\":\"%V\"}",
                                json->len - 1, json->data, &token)
                    - p;
    }

    json->data = p;

    return NGX_OK;
}


/* a token of the request's tenant for tk's agent and role (ttl seconds,
 * 0: csq_token_ttl) */

static ngx_int_t
ngx_csq_api_token(ngx_http_request_t *r, ngx_csq_token_t *tk, time_t ttl,
    ngx_str_t *token)
{
    ngx_csq_ctx_t        *ctx;
    ngx_csq_api_ctx_t    *actx;
    ngx_csq_main_conf_t  *cmcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    actx = ctx->data;
    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);

    tk->tenant = actx->tenant;
    tk->expires = ngx_time() + (ttl ? ttl : (time_t) cmcf->token_ttl / 1000);

    return ngx_csq_token_make(r->pool, &cmcf->secret, tk, token);
}
