
/*
 * Copyright (C) ngx_csq_module authors
 *
 * Channels' webhooks (R1.4, R7.1): what the tenant's systems post to a
 * channel is signed with the channel's key, X-Csq-Signature
 * "<generation>:<hex(HMAC-SHA256(key, "<X-Csq-Timestamp>.<body>"))>", and
 * taken only within csq_webhook_window of its time; the key is derived
 * from csq_secret (ngx_csq_channel_key), never stored, and shown to the
 * tenant's admins here.  A channel's url must be one csq_outbox_allow
 * lets out (ngx_csq_outbox.c sends to it).
 */


#include "ngx_csq_channel.h"
#include "ngx_csq_json.h"
#include "ngx_csq_auth.h"
#include "ngx_csq_outbox.h"
#include <openssl/crypto.h>


static ngx_int_t ngx_csq_channel_key_reply(ngx_http_request_t *r,
    void *reply);


ngx_int_t
ngx_csq_channel_inbound(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_csq_json_t *body)
{
    u_char               *p, *colon;
    time_t                ts, now;
    ngx_int_t             gen;
    ngx_uint_t            i;
    ngx_table_elt_t      *th, *sh;
    ngx_csq_loc_conf_t   *clcf;
    ngx_csq_main_conf_t  *cmcf;
    u_char                key[NGX_CSQ_IDENTITY_KEY_LEN];
    u_char                want[NGX_CSQ_IDENTITY_KEY_LEN];
    u_char                got[NGX_CSQ_IDENTITY_KEY_LEN];

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_csq_module);

    th = ngx_csq_header_in(r, "X-Csq-Timestamp",
                           sizeof("X-Csq-Timestamp") - 1);
    sh = ngx_csq_header_in(r, "X-Csq-Signature",
                           sizeof("X-Csq-Signature") - 1);

    if (th == NULL || sh == NULL) {
        return ngx_csq_json_error(r, NGX_HTTP_UNAUTHORIZED, "bad_signature",
                                  "X-Csq-Timestamp and X-Csq-Signature "
                                  "are required");
    }

    ts = ngx_atotm(th->value.data, th->value.len);
    now = ngx_time();

    if (ts == NGX_ERROR || ts < now - cmcf->webhook_window
        || ts > now + cmcf->webhook_window)
    {
        return ngx_csq_json_error(r, NGX_HTTP_UNAUTHORIZED, "stale_request",
                                  "X-Csq-Timestamp is not within the "
                                  "window of now (csq_webhook_window)");
    }

    colon = ngx_strlchr(sh->value.data, sh->value.data + sh->value.len, ':');

    gen = colon ? ngx_atoi(sh->value.data, colon - sh->value.data)
                : NGX_ERROR;

    if (gen == NGX_ERROR || gen > 1000000
        || (size_t) (sh->value.data + sh->value.len - colon - 1)
           != sizeof(got))
    {
        return ngx_csq_json_error(r, NGX_HTTP_UNAUTHORIZED, "bad_signature",
                                  "X-Csq-Signature must be "
                                  "\"<key generation>:<64 hex digits>\"");
    }

    for (i = 0, p = colon + 1; i < sizeof(got); i++) {
        got[i] = ngx_tolower(p[i]);
    }

    ngx_csq_channel_key(&cmcf->secret, &a->tenant, &a->id, gen, key);

    if (ngx_csq_channel_sign(r->pool, key, ts, &a->body, want) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (CRYPTO_memcmp(want, got, sizeof(got)) != 0) {
        return ngx_csq_json_error(r, NGX_HTTP_UNAUTHORIZED, "bad_signature",
                                  "the signature does not match the body");
    }

    /* the library checks the generation is the channel's */

    a->extra.data = ngx_pnalloc(r->pool, 3 * NGX_INT_T_LEN + 2);
    if (a->extra.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    a->extra.len = ngx_sprintf(a->extra.data, "%i %ui %uz", gen,
                               clcf->max_messages, clcf->max_log_bytes)
                   - a->extra.data;

    /* the tenant's own system: it may do what a channel does */

    a->token.role = NGX_CSQ_ROLE_PLATFORM;
    ngx_str_null(&a->token.agent);
    ngx_str_null(&a->token.session);

    return ngx_csq_call(r, a, NULL);
}


ngx_int_t
ngx_csq_channel_put(ngx_http_request_t *r, ngx_csq_fcall_t *a,
    ngx_csq_json_t *body)
{
    ngx_csq_json_t       *url;
    ngx_csq_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);

    url = ngx_csq_json_get(body, "url");

    if (url && url->type == NGX_CSQ_JSON_STRING && url->value.len) {

        if (cmcf->outbox == NULL) {
            return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST,
                                      "invalid_field",
                                      "\"url\": this nginx sends no outbox "
                                      "(no location has csq_outbox)");
        }

        if (ngx_csq_outbox_allowed(cmcf, &url->value) != NGX_OK) {
            return ngx_csq_json_error(r, NGX_HTTP_BAD_REQUEST,
                                      "invalid_field",
                                      "\"url\" is not one that "
                                      "csq_outbox_allow lets out");
        }
    }

    return ngx_csq_call(r, a, NULL);
}


ngx_int_t
ngx_csq_channel_key_get(ngx_http_request_t *r, ngx_csq_fcall_t *a)
{
    ngx_int_t       rc;
    ngx_csq_ctx_t  *ctx;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    /* the reply handler needs the tenant and the channel */

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    ctx->data = a;

    ngx_str_set(&a->extra, "key");

    return ngx_csq_call(r, a, ngx_csq_channel_key_reply);
}


/* { 200, channel, generation }: { channel, generation, key } */

static ngx_int_t
ngx_csq_channel_key_reply(ngx_http_request_t *r, void *reply)
{
    redisReply  *rr = reply;

    yajl_gen              g;
    ngx_int_t             rc, gen;
    ngx_str_t             json, k;
    ngx_csq_ctx_t        *ctx;
    ngx_csq_fcall_t      *a;
    ngx_csq_main_conf_t  *cmcf;
    u_char                key[NGX_CSQ_IDENTITY_KEY_LEN];
    u_char                num[NGX_INT_T_LEN];

    rc = ngx_csq_call_expect(r, reply, NGX_HTTP_OK, &json);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (rr->elements != 3 || rr->element[2]->type != REDIS_REPLY_STRING) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    gen = ngx_atoi((u_char *) rr->element[2]->str, rr->element[2]->len);
    if (gen == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    a = ctx->data;
    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);

    ngx_csq_channel_key(&cmcf->secret, &a->tenant, &a->id, gen, key);

    g = ngx_csq_json_gen(r);
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    k.data = key;
    k.len = sizeof(key);

    yajl_gen_map_open(g);
    ngx_csq_json_gen_cstr(g, "channel");
    ngx_csq_json_gen_str(g, &a->id);
    ngx_csq_json_gen_cstr(g, "generation");
    yajl_gen_number(g, (char *) num, ngx_sprintf(num, "%i", gen) - num);
    ngx_csq_json_gen_cstr(g, "key");
    ngx_csq_json_gen_str(g, &k);
    yajl_gen_map_close(g);

    return ngx_csq_json_send(r, NGX_HTTP_OK, g);
}
