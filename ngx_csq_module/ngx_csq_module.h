
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_MODULE_H_INCLUDED_
#define _NGX_CSQ_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_csq_ws.h"


#define NGX_CSQ_VERSION       "0.1.0"

/* every tenant's id, for the workers' periodic tick */
#define NGX_CSQ_REGISTRY_KEY  "csq:tenants"

/* ids (tenant, queue, agent, customer, conversation): 1-64 of A-Z a-z
 * 0-9 _ - . (ngx_csq_valid_id) */
#define NGX_CSQ_ID_MAX  64

/* "csq:{<tenant id, at most 64>}:tenant" and a NUL */
#define NGX_CSQ_TENANT_KEY_LEN  (sizeof("csq:{}:tenant") + 64)


/* csq_outbox: the location the outbox's posts go through */
typedef struct {
    void       **main_conf;         /* its server's, for its requests */
    void       **srv_conf;
    void       **loc_conf;          /* its own: its error_log */
    ngx_str_t    uri;
    ngx_int_t    url_index;         /* $csq_outbox_url */
} ngx_csq_outbox_loc_t;


typedef struct {
    ngx_str_t    redis_addr;        /* as written, for logs */
    ngx_str_t    redis_host;        /* numeric address, NUL-terminated */
    ngx_str_t    redis_unix;        /* socket path, NUL-terminated */
    ngx_str_t    redis_password;
    ngx_int_t    redis_db;
    ngx_uint_t   redis_pool;
    ngx_msec_t   redis_timeout;
    in_port_t    redis_port;

    ngx_str_t    secret;
    ngx_msec_t   token_ttl;
    ngx_int_t    platform_generation;   /* R9.5: platform tokens' */
    ngx_array_t *page_files;        /* csq_pages_root: the pages' files */
    ngx_msec_t   tick;

    ngx_csq_outbox_loc_t  *outbox;
    ngx_array_t *outbox_allow;      /* of ngx_str_t: url prefixes */
    ngx_uint_t   outbox_concurrency;    /* a worker's sends at once */
    ngx_msec_t   outbox_lease;
    time_t       webhook_window;

    unsigned     redis_set:1;
    unsigned     handlers:1;        /* some location serves csq content */
    unsigned     api:1;             /* some location serves csq_api */
} ngx_csq_main_conf_t;


typedef struct {
    size_t              max_body;
    size_t              attach_max;         /* an upload's bytes */
    size_t              attach_inflight;    /* a worker's uploads' */
    ngx_csq_ws_conf_t   ws;
    ngx_msec_t          presence_grace;
    ngx_uint_t          message_rate;       /* per second, a socket's */
    ngx_uint_t          message_burst;
    ngx_uint_t          max_messages;       /* a conversation's log */
    ngx_uint_t          arrival_limit;      /* a minute, an address's */
    ngx_uint_t          entry_limit;        /* a minute, an address's */
    ngx_msec_t          relay_lag_max;      /* then messages are refused */
    size_t              max_log_bytes;
    ngx_array_t        *trusted;            /* of ngx_cidr_t: no limits */
    unsigned            handler:1;
} ngx_csq_loc_conf_t;


/* a reply handler took the request's connection over: r is gone */
#define NGX_CSQ_GONE  -100


typedef struct ngx_csq_redis_cmd_s  ngx_csq_redis_cmd_t;
typedef struct ngx_csq_json_s       ngx_csq_json_t;


extern ngx_module_t  ngx_http_csq_module;


typedef struct ngx_csq_token_s  ngx_csq_token_t;


#endif /* _NGX_CSQ_MODULE_H_INCLUDED_ */
