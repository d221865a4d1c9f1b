
/*
 * Copyright (C) ngx_csq_module authors
 *
 * Who is asking: HMAC-SHA256 signed, expiring bearer tokens (key from
 * csq_secret) and PBKDF2-SHA256 salted password hashes, with OpenSSL.
 *
 * A token is base64url(payload) "." base64url(HMAC-SHA256(secret, payload))
 * with payload "<tenant>|<agent>|<role>|<expires, unix seconds>", then
 * "|<session>" when it has one (an agent's login, the platform's
 * generation).
 * A stored password is "pbkdf2-sha256$<iterations>$<salt>$<hash>", salt and
 * hash in base64url.
 */


#include "ngx_csq_auth.h"
#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#include <execinfo.h>
#endif
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>


#define NGX_CSQ_PBKDF2_ITER    20000
#define NGX_CSQ_PBKDF2_SALT    16
#define NGX_CSQ_PBKDF2_LEN     32
#define NGX_CSQ_TOKEN_MAX      1024


static char  *ngx_csq_roles[] = {
    "none", "customer", "agent", "supervisor", "admin", "platform", NULL
};


ngx_uint_t
ngx_csq_role_parse(ngx_str_t *name)
{
    ngx_uint_t  i;

    for (i = 1; ngx_csq_roles[i]; i++) {
        if (name->len == ngx_strlen(ngx_csq_roles[i])
            && ngx_strncmp(name->data, ngx_csq_roles[i], name->len) == 0)
        {
            return i;
        }
    }

    return NGX_CSQ_ROLE_NONE;
}


char *
ngx_csq_role_name(ngx_uint_t role)
{
    return ngx_csq_roles[role <= NGX_CSQ_ROLE_PLATFORM ? role : 0];
}


static ngx_int_t ngx_csq_password_hash(ngx_str_t *password, u_char *buf,
    size_t *len);
static ngx_int_t ngx_csq_password_verify(ngx_str_t *password,
    ngx_str_t *stored);
static void ngx_csq_password_run(void *data, ngx_log_t *log);
static void ngx_csq_password_event(ngx_event_t *ev);


typedef struct {
    ngx_http_request_t         *r;
    ngx_csq_password_done_pt    done;
    ngx_str_t                   password;
    ngx_str_t                   stored;      /* empty: make a hash */
    u_char                      hash[NGX_CSQ_PASSWORD_HASH_LEN];
    size_t                      hash_len;
    ngx_int_t                   rc;
} ngx_csq_password_job_t;


static ngx_str_t  ngx_csq_thread_pool = ngx_string("default");


static void
ngx_csq_hmac(ngx_str_t *secret, u_char *data, size_t len, u_char *md)
{
    unsigned int  mdlen;

    (void) HMAC(EVP_sha256(), secret->data, (int) secret->len, data, len,
                md, &mdlen);
}


ngx_int_t
ngx_csq_token_make(ngx_pool_t *pool, ngx_str_t *secret, ngx_csq_token_t *tk,
    ngx_str_t *out)
{
    u_char     *p, md[EVP_MAX_MD_SIZE];
    ngx_str_t   payload, src, dst;

    payload.data = ngx_pnalloc(pool, tk->tenant.len + tk->agent.len
                                     + tk->session.len + 17
                                     + NGX_TIME_T_LEN);
    if (payload.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(payload.data, "%V|%V|%s|%T", &tk->tenant, &tk->agent,
                    ngx_csq_role_name(tk->role), tk->expires);

    if (tk->session.len) {
        p = ngx_sprintf(p, "|%V", &tk->session);
    }

    payload.len = p - payload.data;

    ngx_csq_hmac(secret, payload.data, payload.len, md);

    out->data = ngx_pnalloc(pool, ngx_base64_encoded_length(payload.len)
                                  + 1 + ngx_base64_encoded_length(32));
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    dst.data = out->data;
    ngx_encode_base64url(&dst, &payload);

    p = out->data + dst.len;
    *p++ = '.';

    src.data = md;
    src.len = 32;
    dst.data = p;
    ngx_encode_base64url(&dst, &src);

    out->len = p + dst.len - out->data;

    return NGX_OK;
}


/*
 * "Authorization: Bearer <token>", or for a socket's handshake (ws) the
 * query's token=.  NGX_OK with the token's claims, NGX_DECLINED when there
 * is none, NGX_ERROR when it is bad or expired.
 */

ngx_int_t
ngx_csq_token_check(ngx_http_request_t *r, ngx_str_t *secret,
    ngx_csq_token_t *tk, ngx_uint_t ws)
{
    ngx_str_t         v;
    ngx_table_elt_t  *h;

    h = r->headers_in.authorization;

    if (h == NULL) {

        /* a browser cannot set headers on a WebSocket: ?token= there */

        if (!ws || r->headers_in.upgrade == NULL
            || ngx_http_arg(r, (u_char *) "token", 5, &v) != NGX_OK)
        {
            return NGX_DECLINED;
        }

    } else {
        v = h->value;

        if (v.len < 7
            || ngx_strncasecmp(v.data, (u_char *) "Bearer ", 7) != 0)
        {
            return NGX_ERROR;
        }

        v.data += 7;
        v.len -= 7;
    }

    return ngx_csq_token_parse(r->pool, secret, &v, tk);
}


/* a token's text: NGX_OK with its claims, NGX_ERROR if bad or expired */

ngx_int_t
ngx_csq_token_parse(ngx_pool_t *pool, ngx_str_t *secret, ngx_str_t *token,
    ngx_csq_token_t *tk)
{
    u_char           *p, *dot, *last, *f[6], md[EVP_MAX_MD_SIZE];
    u_char            sig[64], buf[NGX_CSQ_TOKEN_MAX];
    ngx_int_t         n;
    ngx_str_t         v, src, payload, role;
    ngx_uint_t        i;

    v = *token;

    if (v.len > NGX_CSQ_TOKEN_MAX) {
        return NGX_ERROR;
    }

    dot = ngx_strlchr(v.data, v.data + v.len, '.');
    if (dot == NULL) {
        return NGX_ERROR;
    }

    src.data = v.data;
    src.len = dot - v.data;
    payload.data = buf;

    if (ngx_decode_base64url(&payload, &src) != NGX_OK) {
        return NGX_ERROR;
    }

    src.data = dot + 1;
    src.len = v.data + v.len - src.data;

    if (src.len != 43) {            /* base64url of 32 bytes */
        return NGX_ERROR;
    }

    v.data = sig;

    if (ngx_decode_base64url(&v, &src) != NGX_OK || v.len != 32) {
        return NGX_ERROR;
    }

    ngx_csq_hmac(secret, payload.data, payload.len, md);

    if (CRYPTO_memcmp(md, sig, 32) != 0) {
        return NGX_ERROR;
    }

    /* the signature holds: split "tenant|agent|role|expires[|session]" */

    p = payload.data;
    last = payload.data + payload.len;

    for (i = 0; i < 5 && p <= last; i++) {
        f[i] = p;
        p = ngx_strlchr(p, last, '|');

        if (p == NULL) {
            p = last;
        }

        p++;
    }

    if (i < 4 || p <= last) {
        return NGX_ERROR;
    }

    f[i] = last + 1;

    role.data = f[2];
    role.len = f[3] - 1 - f[2];

    n = ngx_atotm(f[3], f[4] - 1 - f[3]);

    if (n == NGX_ERROR || n < ngx_time()) {
        return NGX_ERROR;
    }

    tk->role = ngx_csq_role_parse(&role);
    tk->expires = n;

    if (tk->role == NGX_CSQ_ROLE_NONE) {
        return NGX_ERROR;
    }

    /* copies of the fields, from the token's text */

    tk->tenant.len = f[1] - 1 - f[0];
    tk->tenant.data = f[0];
    tk->tenant.data = ngx_pstrdup(pool, &tk->tenant);

    tk->agent.len = f[2] - 1 - f[1];
    tk->agent.data = f[1];
    tk->agent.data = ngx_pstrdup(pool, &tk->agent);

    ngx_str_null(&tk->session);

    if (i == 5) {
        tk->session.len = last - f[4];
        tk->session.data = f[4];
        tk->session.data = ngx_pstrdup(pool, &tk->session);
    }

    if (tk->tenant.data == NULL || tk->agent.data == NULL
        || (i == 5 && tk->session.data == NULL))
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_csq_session_new(u_char *buf)
{
    u_char     rnd[16];
    ngx_str_t  src, dst;

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return NGX_ERROR;
    }

    src.data = rnd;
    src.len = sizeof(rnd);
    dst.data = buf;

    ngx_encode_base64url(&dst, &src);

    return NGX_OK;
}


ngx_int_t
ngx_csq_token_role(ngx_pool_t *pool, ngx_csq_token_t *tk, ngx_str_t *out)
{
    char  *name;

    name = ngx_csq_role_name(tk->role);

    if (tk->role < NGX_CSQ_ROLE_AGENT || tk->role > NGX_CSQ_ROLE_ADMIN
        || tk->session.len == 0)
    {
        out->data = (u_char *) name;
        out->len = ngx_strlen(name);
        return NGX_OK;
    }

    out->data = ngx_pnalloc(pool, ngx_strlen(name) + 1 + tk->session.len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    out->len = ngx_sprintf(out->data, "%s %V", name, &tk->session)
               - out->data;

    return NGX_OK;
}


/*
 * R1.5: the key a tenant's site signs its customer ids with,
 * hex(HMAC-SHA256(csq_secret, "csq-identity|<tenant>")): derived, never
 * stored, shown to the tenant's admins (GET tenants/<t>/identity).
 */

void
ngx_csq_identity_key(ngx_str_t *secret, ngx_str_t *tenant, u_char *hex)
{
    u_char  md[EVP_MAX_MD_SIZE], buf[sizeof("csq-identity|") + 64];

    if (tenant->len > 64) {
        ngx_memzero(hex, NGX_CSQ_IDENTITY_KEY_LEN);
        return;
    }

    ngx_csq_hmac(secret, buf,
                 ngx_sprintf(buf, "csq-identity|%V", tenant) - buf, md);

    ngx_hex_dump(hex, md, 32);
}


/*
 * R1.4: a channel's key, hex(HMAC-SHA256(csq_secret, "csq-channel|<tenant>|
 * <channel>|<generation>")): derived, never stored; a new generation is a
 * new key (channel_put.lua's rotate_key)
 */

void
ngx_csq_channel_key(ngx_str_t *secret, ngx_str_t *tenant, ngx_str_t *channel,
    ngx_uint_t generation, u_char *hex)
{
    u_char  md[EVP_MAX_MD_SIZE];
    u_char  buf[sizeof("csq-channel||") + 2 * NGX_CSQ_ID_MAX + NGX_INT_T_LEN];

    if (tenant->len > NGX_CSQ_ID_MAX || channel->len > NGX_CSQ_ID_MAX) {
        ngx_memzero(hex, NGX_CSQ_IDENTITY_KEY_LEN);
        return;
    }

    ngx_csq_hmac(secret, buf,
                 ngx_sprintf(buf, "csq-channel|%V|%V|%ui", tenant, channel,
                             generation)
                 - buf, md);

    ngx_hex_dump(hex, md, 32);
}


/*
 * A webhook's signature, both ways: hex(HMAC-SHA256(the channel's key,
 * "<unix seconds>.<body>")) into sig (NGX_CSQ_IDENTITY_KEY_LEN bytes)
 */

ngx_int_t
ngx_csq_channel_sign(ngx_pool_t *pool, u_char *key, time_t ts,
    ngx_str_t *body, u_char *sig)
{
    u_char     *buf, *p, md[EVP_MAX_MD_SIZE];
    ngx_str_t   k;

    buf = ngx_pnalloc(pool, NGX_TIME_T_LEN + 1 + body->len);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(buf, "%T.", ts);
    p = ngx_cpymem(p, body->data, body->len);

    k.data = key;
    k.len = NGX_CSQ_IDENTITY_KEY_LEN;

    ngx_csq_hmac(&k, buf, p - buf, md);
    ngx_hex_dump(sig, md, 32);

    return NGX_OK;
}


/* the site's customer_hash: hex(HMAC-SHA256(identity key, customer)) */

ngx_int_t
ngx_csq_identity_check(ngx_str_t *secret, ngx_str_t *tenant,
    ngx_str_t *customer, ngx_str_t *hash)
{
    ngx_str_t   key;
    ngx_uint_t  i;
    u_char      hex[NGX_CSQ_IDENTITY_KEY_LEN], md[EVP_MAX_MD_SIZE];
    u_char      want[NGX_CSQ_IDENTITY_KEY_LEN], got[NGX_CSQ_IDENTITY_KEY_LEN];

    if (hash->len != NGX_CSQ_IDENTITY_KEY_LEN) {
        return NGX_DECLINED;
    }

    ngx_csq_identity_key(secret, tenant, hex);

    key.data = hex;
    key.len = sizeof(hex);

    ngx_csq_hmac(&key, customer->data, customer->len, md);
    ngx_hex_dump(want, md, 32);

    for (i = 0; i < sizeof(got); i++) {
        got[i] = ngx_tolower(hash->data[i]);
    }

    return CRYPTO_memcmp(want, got, sizeof(got)) == 0 ? NGX_OK
                                                      : NGX_DECLINED;
}


/* into buf, NGX_CSQ_PASSWORD_HASH_LEN bytes: no pool in a thread */

static ngx_int_t
ngx_csq_password_hash(ngx_str_t *password, u_char *buf, size_t *len)
{
    u_char     salt[NGX_CSQ_PBKDF2_SALT], hash[NGX_CSQ_PBKDF2_LEN];
    ngx_str_t  s, h, es, eh;

    if (RAND_bytes(salt, sizeof(salt)) != 1) {
        return NGX_ERROR;
    }

    if (PKCS5_PBKDF2_HMAC((char *) password->data, (int) password->len,
                          salt, sizeof(salt), NGX_CSQ_PBKDF2_ITER,
                          EVP_sha256(), sizeof(hash), hash)
        != 1)
    {
        return NGX_ERROR;
    }

    s.data = salt;
    s.len = sizeof(salt);
    h.data = hash;
    h.len = sizeof(hash);

    es.data = ngx_sprintf(buf, "pbkdf2-sha256$%d$", NGX_CSQ_PBKDF2_ITER);
    ngx_encode_base64url(&es, &s);

    eh.data = es.data + es.len;
    *eh.data++ = '$';
    ngx_encode_base64url(&eh, &h);

    *len = eh.data + eh.len - buf;

    return NGX_OK;
}


static ngx_int_t
ngx_csq_password_verify(ngx_str_t *password, ngx_str_t *stored)
{
    u_char     *p, *last, *f[3];
    u_char      salt[64], hash[64], calc[NGX_CSQ_PBKDF2_LEN];
    ngx_int_t   iter;
    ngx_str_t   src, s, h;
    ngx_uint_t  i;

    if (stored->len < 14
        || ngx_strncmp(stored->data, "pbkdf2-sha256$", 14) != 0)
    {
        return NGX_DECLINED;
    }

    p = stored->data + 14;
    last = stored->data + stored->len;

    for (i = 0; i < 3; i++) {
        f[i] = p;
        p = ngx_strlchr(p, last, '$');

        if (p == NULL) {
            if (i != 2) {
                return NGX_DECLINED;
            }

            p = last;
        }

        p++;
    }

    iter = ngx_atoi(f[0], f[1] - 1 - f[0]);
    if (iter <= 0 || iter > 10000000) {
        return NGX_DECLINED;
    }

    src.data = f[1];
    src.len = f[2] - 1 - f[1];
    s.data = salt;

    if (src.len > 80 || ngx_decode_base64url(&s, &src) != NGX_OK) {
        return NGX_DECLINED;
    }

    src.data = f[2];
    src.len = last - f[2];
    h.data = hash;

    if (src.len > 80 || ngx_decode_base64url(&h, &src) != NGX_OK
        || h.len != NGX_CSQ_PBKDF2_LEN)
    {
        return NGX_DECLINED;
    }

    if (PKCS5_PBKDF2_HMAC((char *) password->data, (int) password->len,
                          s.data, (int) s.len, (int) iter, EVP_sha256(),
                          sizeof(calc), calc)
        != 1)
    {
        return NGX_ERROR;
    }

    return CRYPTO_memcmp(calc, h.data, sizeof(calc)) == 0 ? NGX_OK
                                                          : NGX_DECLINED;
}


/* at configuration: make sure the "default" thread pool exists */

ngx_int_t
ngx_csq_password_init_conf(ngx_conf_t *cf)
{
#if (NGX_THREADS)
    if (ngx_thread_pool_add(cf, &ngx_csq_thread_pool) == NULL) {
        return NGX_ERROR;
    }
#endif

    return NGX_OK;
}


/*
 * In a worker, before any pool thread can end: a pool thread ends with
 * pthread_exit(), and glibc loads libgcc_s for its unwinder at the first
 * such call; at a worker's exit that load raced the exit and aborted the
 * worker ("libgcc_s.so.1 must be installed for pthread_exit to work",
 * signal 6).  backtrace() has glibc load the unwinder now and keep it.
 */

void
ngx_csq_password_init_process(void)
{
#if (NGX_THREADS)
    void  *frame;

    (void) backtrace(&frame, 1);
#endif
}


ngx_int_t
ngx_csq_password_job(ngx_http_request_t *r, ngx_str_t *password,
    ngx_str_t *stored, ngx_csq_password_done_pt done)
{
    ngx_event_t             *ev;
    ngx_csq_password_job_t  *job;
#if (NGX_THREADS)
    ngx_thread_task_t       *task;
    ngx_thread_pool_t       *tp;

    tp = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle, &ngx_csq_thread_pool);

    task = ngx_thread_task_alloc(r->pool, sizeof(ngx_csq_password_job_t));
    if (task == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    job = task->ctx;
    ev = &task->event;

#else
    job = ngx_pcalloc(r->pool, sizeof(ngx_csq_password_job_t));
    ev = ngx_pcalloc(r->pool, sizeof(ngx_event_t));

    if (job == NULL || ev == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
#endif

    /* the thread reads only these copies, never the pool */

    job->r = r;
    job->done = done;
    job->password.len = password->len;
    job->password.data = ngx_pstrdup(r->pool, password);

    if (stored) {
        job->stored.len = stored->len;
        job->stored.data = ngx_pstrdup(r->pool, stored);
    }

    if (job->password.data == NULL || (stored && job->stored.data == NULL)) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ev->handler = ngx_csq_password_event;
    ev->data = job;
    ev->log = r->connection->log;

#if (NGX_THREADS)
    if (tp) {
        task->handler = ngx_csq_password_run;

        if (ngx_thread_task_post(tp, task) != NGX_OK) {
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        r->main->count++;
        return NGX_DONE;
    }
#endif

    /* no thread pool: inline, answered from the event loop all the same */

    ngx_csq_password_run(job, r->connection->log);
    ngx_post_event(ev, &ngx_posted_events);

    r->main->count++;
    return NGX_DONE;
}


/* in a thread: no pool, no log writes, no nginx state */

static void
ngx_csq_password_run(void *data, ngx_log_t *log)
{
    ngx_csq_password_job_t  *job = data;

    if (job->stored.len) {
        job->rc = ngx_csq_password_verify(&job->password, &job->stored);

    } else {
        job->rc = ngx_csq_password_hash(&job->password, job->hash,
                                        &job->hash_len);
    }
}


static void
ngx_csq_password_event(ngx_event_t *ev)
{
    ngx_csq_password_job_t  *job = ev->data;

    ngx_str_t            hash;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = job->r;
    c = r->connection;

    hash.data = job->hash;
    hash.len = job->hash_len;

    job->done(r, job->rc, &hash);

    ngx_http_run_posted_requests(c);
}
