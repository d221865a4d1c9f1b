
/*
 * Copyright (C) ngx_csq_module authors
 *
 * Who a caller is, where the API proves or grants it: an agent's login
 * (the stored hash from Redis, PBKDF2 checked in the thread pool, then a
 * token), a new password hashed before the agent is stored, an arriving
 * customer or a page's visitor the tenant's site signed (R1.5), the token
 * an arrival or a visitor gets, and the identity key the site signs with.
 * Each is a hook of a route of the API (ngx_csq_api.c).  Tokens are added
 * to a function's JSON by parsing it and generating it again.
 */


#include <openssl/rand.h>
#include "ngx_csq_login.h"
#include "ngx_csq_json.h"


/* a visitor's token lasts a month: the page keeps it */
#define NGX_CSQ_VISITOR_TTL    (30 * 24 * 60 * 60)


/* a login's or a password's state while PBKDF2 runs */
typedef struct {
    ngx_csq_fcall_t    *call;
    ngx_str_t           agent;
    ngx_str_t           password;
    ngx_str_t           stored;     /* the hash it is checked against */
    ngx_str_t           session;    /* the new session (R9.5) */
    time_t              expires;    /* the session's and the token's */
    unsigned            known:1;    /* the agent exists */
} ngx_csq_login_t;


static ngx_int_t ngx_csq_login_start(ngx_http_request_t *r,
    ngx_csq_fcall_t *a, ngx_csq_json_t *body, ngx_csq_login_t **lgp);
static ngx_int_t ngx_csq_login_bad_password(ngx_http_request_t *r,
    ngx_int_t rc);
static ngx_int_t ngx_csq_login_found(ngx_http_request_t *r, void *data);
static ngx_int_t ngx_csq_login_failed(ngx_http_request_t *r, void *data);
static void ngx_csq_login_checked(ngx_http_request_t *r, ngx_int_t rc,
    ngx_str_t *hash);
static ngx_int_t ngx_csq_login_opened(ngx_http_request_t *r, void *data);
static void ngx_csq_login_hashed(ngx_http_request_t *r, ngx_int_t rc,
    ngx_str_t *hash);
static ngx_int_t ngx_csq_login_signed(ngx_http_request_t *r,
    ngx_csq_fcall_t *a, ngx_csq_json_t *body, ngx_str_t *customer);
static ngx_int_t ngx_csq_login_bad_identity(ngx_http_request_t *r);
static ngx_int_t ngx_csq_login_arrived(ngx_http_request_t *r, void *data);
static ngx_int_t ngx_csq_login_entered(ngx_http_request_t *r, void *data);
static ngx_int_t ngx_csq_login_send_token(ngx_http_request_t *r,
    ngx_int_t status, ngx_str_t *json, char *field, ngx_str_t *id,
    time_t ttl);
static ngx_int_t ngx_csq_login_token(ngx_http_request_t *r,
    ngx_str_t *tenant, ngx_csq_token_t *tk, time_t ttl, ngx_str_t *token);
static ngx_int_t ngx_csq_login_client(ngx_http_request_t *r,
    ngx_csq_fcall_t *a, ngx_uint_t verified, ngx_uint_t limit);
static ngx_csq_login_t *ngx_csq_login_state(ngx_http_request_t *r,
    ngx_csq_fcall_t *a);


/* POST tenants/<t>/login: { agent, password } -> the stored hash */

ngx_int_t
ngx_csq_login_body(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_csq_json_t *body)
{
    ngx_int_t         rc;
    ngx_csq_json_t   *v;
    ngx_csq_login_t  *lg;

    rc = ngx_csq_login_start(r, a, body, &lg);
    if (rc != NGX_OK) {
        return ngx_csq_login_bad_password(r, rc);
    }

    v = ngx_csq_json_get(body, "agent");

    if (v == NULL || v->type != NGX_CSQ_JSON_STRING
        || lg->password.len == 0)
    {
        return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST, "invalid_field",
                                  "\"agent\" and \"password\" "
                                  "are required");
    }

    lg->agent = v->value;

    /* failures are counted per client address too (login_failed.lua) */

    a->extra = r->connection->addr_text;

    return ngx_csq_call(r, a, ngx_csq_login_found);
}


/* PUT tenants/<t>/agents/<id>: a new password is hashed first */

ngx_int_t
ngx_csq_login_password(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_csq_json_t *body)
{
    ngx_int_t         rc;
    ngx_csq_login_t  *lg;

    rc = ngx_csq_login_start(r, a, body, &lg);
    if (rc != NGX_OK) {
        return ngx_csq_login_bad_password(r, rc);
    }

    if (lg->password.len == 0) {
        return ngx_csq_call(r, a, NULL);
    }

    return ngx_csq_password_job(r, &lg->password, NULL,
                                ngx_csq_login_hashed);
}


/*
 * A login's or a password's state, with the body's "password" when given:
 * NGX_OK; NGX_DECLINED when it is not a string of 8 to 256 bytes (see
 * ngx_csq_login_bad_password); NGX_ERROR
 */

static ngx_int_t
ngx_csq_login_start(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_csq_json_t *body, ngx_csq_login_t **lgp)
{
    ngx_csq_json_t   *v;
    ngx_csq_login_t  *lg;

    lg = ngx_csq_login_state(r, a);
    if (lg == NULL) {
        return NGX_ERROR;
    }

    *lgp = lg;

    v = ngx_csq_json_get(body, "password");

    if (v == NULL) {
        return NGX_OK;
    }

    if (v->type != NGX_CSQ_JSON_STRING || v->value.len < 8
        || v->value.len > 256)
    {
        return NGX_DECLINED;
    }

    lg->password = v->value;

    return NGX_OK;
}


/* the answer when the "password" is not a string of 8 to 256 bytes */

static ngx_int_t
ngx_csq_login_bad_password(ngx_http_request_t *r, ngx_int_t rc)
{
    if (rc == NGX_DECLINED) {
        return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST, "invalid_field",
                                  "\"password\" must be a string "
                                  "of 8 to 256 bytes");
    }

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/*
 * { 200, "", role, stored password hash, known }: check it (an unknown
 * agent's hash as well: the same work), then a token; or { 429, error,
 * seconds }: failures locked the address or the agent for a while
 */

static ngx_int_t
ngx_csq_login_found(ngx_http_request_t *r, void *data)
{
    redisReply  *reply = data;

    ngx_int_t         rc;
    ngx_str_t         json, role, stored;
    ngx_uint_t        n;
    ngx_csq_ctx_t    *ctx;
    ngx_csq_login_t  *lg;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    lg = ctx->data;

    rc = ngx_csq_call_expect(r, reply, NGX_HTTP_OK, &json);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (reply->elements != 5
        || reply->element[2]->type != REDIS_REPLY_STRING
        || reply->element[3]->type != REDIS_REPLY_STRING
        || reply->element[4]->type != REDIS_REPLY_INTEGER)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lg->known = (reply->element[4]->integer == 1);

    role.data = (u_char *) reply->element[2]->str;
    role.len = reply->element[2]->len;

    /* a broken record (the token's role comes with its session) */

    n = ngx_csq_role_parse(&role);

    if (n == NGX_CSQ_ROLE_NONE || n == NGX_CSQ_ROLE_PLATFORM) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    stored.len = reply->element[3]->len;
    stored.data = ngx_pnalloc(r->pool, stored.len);
    if (stored.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(stored.data, reply->element[3]->str, stored.len);

    lg->stored = stored;

    return ngx_csq_password_job(r, &lg->password, &stored,
                                ngx_csq_login_checked);
}


/* the failure is counted: 401 */

static ngx_int_t
ngx_csq_login_failed(ngx_http_request_t *r, void *data)
{
    return ngx_csq_json_error(r, NGX_HTTP_UNAUTHORIZED, "bad_credentials",
                              "unknown agent or wrong password");
}


/* the password is checked: a session (session_open.lua), or 401 */

static void
ngx_csq_login_checked(ngx_http_request_t *r, ngx_int_t rc, ngx_str_t *hash)
{
    u_char               *p;
    uint64_t              ends;
    ngx_time_t           *tp;
    ngx_csq_ctx_t        *ctx;
    ngx_csq_login_t      *lg;
    ngx_csq_main_conf_t  *cmcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    lg = ctx->data;

    if (rc != NGX_OK || !lg->known) {

        /* counted first (login_failed.lua), then 401 */

        lg->call->fn = NGX_CSQ_FN_LOGIN_FAILED;
        lg->call->id = lg->agent;
        ngx_str_null(&lg->call->body);

        ngx_http_finalize_request(r, ngx_csq_call(r, lg->call,
                                                  ngx_csq_login_failed));
        return;
    }

    /* R9.5: the token names a new session: "<session> <expires, ms>" */

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);

    p = ngx_pnalloc(r->pool, NGX_CSQ_SESSION_LEN + 1 + NGX_INT64_LEN);
    if (p == NULL || ngx_csq_session_new(p) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* to the millisecond: a newer session ends later, the oldest goes */

    tp = ngx_timeofday();
    ends = (uint64_t) tp->sec * 1000 + tp->msec + cmcf->token_ttl;
    lg->expires = (time_t) (ends / 1000);

    lg->session.data = p;
    lg->session.len = NGX_CSQ_SESSION_LEN;

    lg->call->fn = NGX_CSQ_FN_SESSION_OPEN;
    lg->call->id = lg->agent;
    lg->call->body = lg->stored;
    lg->call->extra.data = p;
    lg->call->extra.len = ngx_sprintf(p + NGX_CSQ_SESSION_LEN, " %uL", ends)
                          - p;

    ngx_http_finalize_request(r, ngx_csq_call(r, lg->call,
                                              ngx_csq_login_opened));
}


/* { 200, "", role }: the session is open, the token names it */

static ngx_int_t
ngx_csq_login_opened(ngx_http_request_t *r, void *data)
{
    redisReply  *reply = data;

    yajl_gen              g;
    ngx_int_t             rc;
    ngx_str_t             json, token, role;
    ngx_csq_ctx_t        *ctx;
    ngx_csq_token_t       tk;
    ngx_csq_login_t      *lg;
    ngx_csq_main_conf_t  *cmcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    lg = ctx->data;
    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);

    rc = ngx_csq_call_expect(r, reply, NGX_HTTP_OK, &json);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (reply->elements != 3
        || reply->element[2]->type != REDIS_REPLY_STRING)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    role.data = (u_char *) reply->element[2]->str;
    role.len = reply->element[2]->len;

    tk.tenant = lg->call->tenant;
    tk.agent = lg->agent;
    tk.role = ngx_csq_role_parse(&role);
    tk.expires = lg->expires;
    tk.session = lg->session;

    if (tk.role < NGX_CSQ_ROLE_AGENT || tk.role > NGX_CSQ_ROLE_ADMIN) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    g = ngx_csq_json_gen(r);

    if (g == NULL
        || ngx_csq_token_make(r->pool, &cmcf->secret, &tk, &token) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
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

    return ngx_csq_json_send(r, NGX_HTTP_OK, g);
}


/* the new password is hashed: now the function stores it */

static void
ngx_csq_login_hashed(ngx_http_request_t *r, ngx_int_t rc, ngx_str_t *hash)
{
    ngx_csq_ctx_t    *ctx;
    ngx_csq_login_t  *lg;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    lg = ctx->data;

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    lg->call->extra = *hash;

    ngx_http_finalize_request(r, ngx_csq_call(r, lg->call, NULL));
}


/*
 * R1.5: "customer_hash" is the tenant's site's signature of "customer":
 * NGX_OK with the customer when it is right, NGX_DECLINED when there is
 * none, NGX_ABORT when it is wrong (see ngx_csq_login_bad_identity)
 */

static ngx_int_t
ngx_csq_login_signed(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_csq_json_t *body, ngx_str_t *customer)
{
    ngx_csq_json_t       *c, *hash;
    ngx_csq_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);

    hash = ngx_csq_json_get(body, "customer_hash");

    if (hash == NULL || hash->type == NGX_CSQ_JSON_NULL) {
        return NGX_DECLINED;
    }

    c = ngx_csq_json_get(body, "customer");

    if (hash->type != NGX_CSQ_JSON_STRING || c == NULL
        || c->type != NGX_CSQ_JSON_STRING
        || ngx_csq_valid_id(&c->value) != NGX_OK
        || ngx_csq_identity_check(&cmcf->secret, &a->tenant, &c->value,
                                  &hash->value)
           != NGX_OK)
    {
        return NGX_ABORT;
    }

    *customer = c->value;

    return NGX_OK;
}


static ngx_int_t
ngx_csq_login_bad_identity(ngx_http_request_t *r)
{
    return ngx_csq_json_error(r, NGX_HTTP_UNAUTHORIZED, "bad_identity",
                              "\"customer_hash\" is not the site's "
                              "signature of \"customer\"");
}


/*
 * POST tenants/<t>/conversations: a customer the site signed in is
 * "verified" for the function (which refuses the others when the tenant
 * requires login); a new conversation's reply gets the customer's token
 */

ngx_int_t
ngx_csq_login_arrive(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_csq_json_t *body)
{
    ngx_int_t            rc;
    ngx_str_t            customer;
    ngx_csq_loc_conf_t  *clcf;

    if (ngx_csq_login_state(r, a) == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_csq_login_signed(r, a, body, &customer);

    if (rc == NGX_ABORT) {
        return ngx_csq_login_bad_identity(r);
    }

    /* the tenant's own systems (an agent's or a platform token): no limit */

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_csq_module);

    if (ngx_csq_login_client(r, a, rc == NGX_OK,
                             a->token.role >= NGX_CSQ_ROLE_AGENT
                             ? 0 : clcf->arrival_limit)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_csq_call(r, a, ngx_csq_login_arrived);
}


/* { 201, JSON, "<customer>/<conversation>" }: the JSON and the token */

static ngx_int_t
ngx_csq_login_arrived(ngx_http_request_t *r, void *data)
{
    redisReply  *reply = data;

    ngx_int_t  rc;
    ngx_str_t  json, id;

    rc = ngx_csq_call_expect(r, reply, NGX_HTTP_CREATED, &json);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (reply->elements != 3
        || reply->element[2]->type != REDIS_REPLY_STRING)
    {
        return ngx_csq_call_send(r, NGX_HTTP_CREATED, &json);
    }

    id.data = (u_char *) reply->element[2]->str;
    id.len = reply->element[2]->len;

    return ngx_csq_login_send_token(r, NGX_HTTP_CREATED, &json,
                                    "customer_token", &id, 0);
}


/*
 * POST tenants/<t>/entry: who the page's visitor is.  A customer the site
 * signed in, or its token from an earlier visit, or a new visitor with a
 * random id; the link ("ch") is the function's id.
 */

ngx_int_t
ngx_csq_login_entry(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_csq_json_t *body)
{
    u_char               *p;
    ngx_int_t             rc;
    ngx_csq_json_t       *v;
    ngx_csq_token_t       tk;
    ngx_csq_loc_conf_t   *clcf;
    ngx_csq_main_conf_t  *cmcf;
    u_char                rnd[10];

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);

    if (ngx_csq_login_state(r, a) == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_null(&a->token.agent);

    v = ngx_csq_json_get(body, "ch");

    if (v && v->type != NGX_CSQ_JSON_NULL) {
        if (v->type != NGX_CSQ_JSON_STRING
            || ngx_csq_valid_id(&v->value) != NGX_OK)
        {
            return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST,
                                      "invalid_field",
                                      "\"ch\" must be a link id");
        }

        a->id = v->value;
    }

    /* a customer the site signed in */

    rc = ngx_csq_login_signed(r, a, body, &a->token.agent);

    if (rc == NGX_ABORT) {
        return ngx_csq_login_bad_identity(r);
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_csq_module);

    if (ngx_csq_login_client(r, a, rc == NGX_OK, clcf->entry_limit)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a visitor seen before */

    v = ngx_csq_json_get(body, "visitor_token");

    if (a->token.agent.len == 0 && v && v->type == NGX_CSQ_JSON_STRING
        && ngx_csq_token_parse(r->pool, &cmcf->secret, &v->value, &tk)
           == NGX_OK
        && tk.role == NGX_CSQ_ROLE_CUSTOMER
        && tk.tenant.len == a->tenant.len
        && ngx_strncmp(tk.tenant.data, a->tenant.data, tk.tenant.len) == 0
        && ngx_strlchr(tk.agent.data, tk.agent.data + tk.agent.len, '/')
           == NULL)
    {
        a->token.agent = tk.agent;
    }

    /* or a new one */

    if (a->token.agent.len == 0) {
        p = ngx_pnalloc(r->pool, 1 + 2 * sizeof(rnd));
        if (p == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p[0] = 'v';
        ngx_hex_dump(p + 1, rnd, sizeof(rnd));

        a->token.agent.data = p;
        a->token.agent.len = 1 + 2 * sizeof(rnd);
    }

    a->token.role = NGX_CSQ_ROLE_CUSTOMER;

    return ngx_csq_call(r, a, ngx_csq_login_entered);
}


/* { 200, JSON }: the JSON and "visitor": { id, token } */

static ngx_int_t
ngx_csq_login_entered(ngx_http_request_t *r, void *data)
{
    redisReply  *reply = data;

    ngx_int_t         rc;
    ngx_str_t         json;
    ngx_csq_ctx_t    *ctx;
    ngx_csq_login_t  *lg;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    lg = ctx->data;

    rc = ngx_csq_call_expect(r, reply, NGX_HTTP_OK, &json);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    return ngx_csq_login_send_token(r, NGX_HTTP_OK, &json, "visitor",
                                    &lg->call->token.agent,
                                    NGX_CSQ_VISITOR_TTL);
}


/*
 * The function's JSON object with a token of the customer role for id:
 * as "customer_token" (an arrival's, csq_token_ttl), or as "visitor":
 * { "id", "token" } (a page's visitor, ttl seconds)
 */

static ngx_int_t
ngx_csq_login_send_token(ngx_http_request_t *r, ngx_int_t status,
    ngx_str_t *json, char *field, ngx_str_t *id, time_t ttl)
{
    yajl_gen          g;
    ngx_str_t         token;
    ngx_csq_ctx_t    *ctx;
    ngx_csq_json_t   *root;
    ngx_csq_token_t   tk;
    ngx_csq_login_t  *lg;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    lg = ctx->data;

    tk.agent = *id;
    tk.role = NGX_CSQ_ROLE_CUSTOMER;
    ngx_str_null(&tk.session);

    if (ngx_csq_json_parse_text(r->pool, json, &root) != NGX_OK
        || root->type != NGX_CSQ_JSON_OBJECT
        || ngx_csq_login_token(r, &lg->call->tenant, &tk, ttl, &token)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    g = ngx_csq_json_gen(r);
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    yajl_gen_map_open(g);
    ngx_csq_json_gen_members(g, root);
    ngx_csq_json_gen_cstr(g, field);

    if (ttl) {
        yajl_gen_map_open(g);
        ngx_csq_json_gen_cstr(g, "id");
        ngx_csq_json_gen_str(g, id);
        ngx_csq_json_gen_cstr(g, "token");
        ngx_csq_json_gen_str(g, &token);
        yajl_gen_map_close(g);

    } else {
        ngx_csq_json_gen_str(g, &token);
    }

    yajl_gen_map_close(g);

    return ngx_csq_json_send(r, status, g);
}


/* GET tenants/<t>/identity: the key the tenant's site signs ids with */

ngx_int_t
ngx_csq_login_identity(ngx_http_request_t *r, ngx_csq_fcall_t *a)
{
    yajl_gen              g;
    ngx_int_t             rc;
    ngx_str_t             key;
    ngx_csq_main_conf_t  *cmcf;
    u_char                hex[NGX_CSQ_IDENTITY_KEY_LEN];

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);

    ngx_csq_identity_key(&cmcf->secret, &a->tenant, hex);

    key.data = hex;
    key.len = sizeof(hex);

    g = ngx_csq_json_gen(r);
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    yajl_gen_map_open(g);
    ngx_csq_json_gen_cstr(g, "tenant");
    ngx_csq_json_gen_str(g, &a->tenant);
    ngx_csq_json_gen_cstr(g, "identity_key");
    ngx_csq_json_gen_str(g, &key);
    yajl_gen_map_close(g);

    return ngx_csq_json_send(r, NGX_HTTP_OK, g);
}


/* a token of the tenant for tk's agent and role (ttl seconds, 0: the
 * csq_token_ttl) */

static ngx_int_t
ngx_csq_login_token(ngx_http_request_t *r, ngx_str_t *tenant,
    ngx_csq_token_t *tk, time_t ttl, ngx_str_t *token)
{
    ngx_csq_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);

    tk->tenant = *tenant;
    tk->expires = ngx_time() + (ttl ? ttl : (time_t) cmcf->token_ttl / 1000);

    return ngx_csq_token_make(r->pool, &cmcf->secret, tk, token);
}


/*
 * R1.5, R9.6: an arrival's or a page entry's EXTRA, "<verified|->
 * <limit a minute, 0 none> <client address>" (client_extra() in
 * common.lua); a trusted client (csq_trusted) has no limit
 */

static ngx_int_t
ngx_csq_login_client(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_uint_t verified, ngx_uint_t limit)
{
    ngx_connection_t    *c;
    ngx_csq_loc_conf_t  *clcf;

    c = r->connection;
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_csq_module);

    if (ngx_csq_trusted(c, clcf)) {
        limit = 0;
    }

    a->extra.data = ngx_pnalloc(r->pool, sizeof("verified ") - 1
                                         + NGX_INT_T_LEN + 1
                                         + c->addr_text.len);
    if (a->extra.data == NULL) {
        return NGX_ERROR;
    }

    a->extra.len = ngx_sprintf(a->extra.data, "%s %ui %V",
                               verified ? "verified" : "-", limit,
                               &c->addr_text)
                   - a->extra.data;

    return NGX_OK;
}


/* a login's state, now the request's context data */

static ngx_csq_login_t *
ngx_csq_login_state(ngx_http_request_t *r, ngx_csq_fcall_t *a)
{
    ngx_csq_ctx_t    *ctx;
    ngx_csq_login_t  *lg;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);

    lg = ngx_pcalloc(r->pool, sizeof(ngx_csq_login_t));
    if (lg == NULL) {
        return NULL;
    }

    lg->call = a;
    ctx->data = lg;

    return lg;
}
