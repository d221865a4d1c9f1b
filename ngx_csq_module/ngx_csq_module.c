
/*
 * Copyright (C) ngx_csq_module authors
 *
 * Module definition: directives, configuration and worker start/stop.
 */


#include "ngx_csq_module.h"
#include "ngx_csq_redis.h"
#include "ngx_csq_auth.h"
#include "ngx_csq_redis_sub.h"
#include "ngx_csq_api.h"
#include "ngx_csq_status.h"
#include "ngx_csq_tick.h"
#include "ngx_csq_outbox.h"
#include "ngx_csq_pages.h"


#define NGX_CSQ_SECRET_MIN   16
#define NGX_CSQ_POOL_MAX     64
#define NGX_CSQ_MAX_BODY_MAX (64 * 1024 * 1024)


static void *ngx_csq_create_main_conf(ngx_conf_t *cf);
static char *ngx_csq_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_csq_create_loc_conf(ngx_conf_t *cf);
static char *ngx_csq_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_csq_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_csq_secret_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_csq_secret_file_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_csq_check_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *secret);
static char *ngx_csq_handler_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_csq_check_max_body(ngx_conf_t *cf, void *post,
    void *data);
static ngx_int_t ngx_csq_init_process(ngx_cycle_t *cycle);
static void ngx_csq_exit_process(ngx_cycle_t *cycle);


static ngx_conf_post_handler_pt  ngx_csq_max_body_post =
    ngx_csq_check_max_body;

static char *ngx_csq_check_ws_size(ngx_conf_t *cf, void *post, void *data);
static char *ngx_csq_check_ws_ping(ngx_conf_t *cf, void *post, void *data);
static char *ngx_csq_trusted(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_csq_outbox_allow(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

static ngx_conf_post_handler_pt  ngx_csq_ws_size_post =
    ngx_csq_check_ws_size;
static ngx_conf_post_handler_pt  ngx_csq_ws_ping_post =
    ngx_csq_check_ws_ping;


static ngx_command_t  ngx_csq_commands[] = {

    { ngx_string("csq_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_csq_redis_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("csq_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_csq_main_conf_t, redis_timeout),
      NULL },

    { ngx_string("csq_secret"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_csq_secret_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("csq_secret_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_csq_secret_file_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("csq_max_body"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_csq_loc_conf_t, max_body),
      &ngx_csq_max_body_post },

    { ngx_string("csq_attachment_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_csq_loc_conf_t, attach_max),
      NULL },

    { ngx_string("csq_attachment_inflight"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_csq_loc_conf_t, attach_inflight),
      NULL },

    { ngx_string("csq_ws_max_message"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_csq_loc_conf_t, ws.max_message),
      &ngx_csq_ws_size_post },

    { ngx_string("csq_ws_send_queue"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_csq_loc_conf_t, ws.send_queue),
      &ngx_csq_ws_size_post },

    { ngx_string("csq_ws_ping"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_csq_loc_conf_t, ws.ping),
      &ngx_csq_ws_ping_post },

    { ngx_string("csq_presence_grace"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_csq_loc_conf_t, presence_grace),
      NULL },

    { ngx_string("csq_message_rate"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_csq_loc_conf_t, message_rate),
      NULL },

    { ngx_string("csq_message_burst"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_csq_loc_conf_t, message_burst),
      NULL },

    { ngx_string("csq_arrival_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_csq_loc_conf_t, arrival_limit),
      NULL },

    { ngx_string("csq_entry_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_csq_loc_conf_t, entry_limit),
      NULL },

    { ngx_string("csq_relay_lag_max"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_csq_loc_conf_t, relay_lag_max),
      NULL },

    { ngx_string("csq_conversation_max_messages"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_csq_loc_conf_t, max_messages),
      NULL },

    { ngx_string("csq_conversation_max_bytes"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_csq_loc_conf_t, max_log_bytes),
      NULL },

    { ngx_string("csq_trusted"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_csq_trusted,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("csq_token_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_csq_main_conf_t, token_ttl),
      NULL },

    { ngx_string("csq_platform_generation"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_csq_main_conf_t, platform_generation),
      NULL },

    { ngx_string("csq_tick"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_csq_main_conf_t, tick),
      NULL },

    { ngx_string("csq_outbox"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_csq_outbox_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("csq_outbox_allow"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_csq_outbox_allow,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("csq_outbox_concurrency"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_csq_main_conf_t, outbox_concurrency),
      NULL },

    { ngx_string("csq_outbox_lease"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_csq_main_conf_t, outbox_lease),
      NULL },

    { ngx_string("csq_webhook_window"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_csq_main_conf_t, webhook_window),
      NULL },

    { ngx_string("csq_pages_root"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_csq_pages_root_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("csq_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_csq_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_csq_status_handler },

    { ngx_string("csq_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_csq_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_csq_api_handler },

      ngx_null_command
};


static ngx_http_module_t  ngx_csq_module_ctx = {
    ngx_csq_outbox_add_variables,          /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_csq_create_main_conf,              /* create main configuration */
    ngx_csq_init_main_conf,                /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_csq_create_loc_conf,               /* create location configuration */
    ngx_csq_merge_loc_conf                 /* merge location configuration */
};


ngx_module_t  ngx_http_csq_module = {
    NGX_MODULE_V1,
    &ngx_csq_module_ctx,                   /* module context */
    ngx_csq_commands,                      /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_csq_init_process,                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_csq_exit_process,                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_csq_create_main_conf(ngx_conf_t *cf)
{
    ngx_csq_main_conf_t  *cmcf;

    cmcf = ngx_pcalloc(cf->pool, sizeof(ngx_csq_main_conf_t));
    if (cmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     cmcf->redis_addr = { 0, NULL };
     *     cmcf->redis_host = { 0, NULL };
     *     cmcf->redis_unix = { 0, NULL };
     *     cmcf->redis_password = { 0, NULL };
     *     cmcf->redis_db = 0;
     *     cmcf->secret = { 0, NULL };
     */

    cmcf->redis_pool = NGX_CONF_UNSET_UINT;
    cmcf->redis_timeout = NGX_CONF_UNSET_MSEC;
    cmcf->token_ttl = NGX_CONF_UNSET_MSEC;
    cmcf->platform_generation = NGX_CONF_UNSET;
    cmcf->tick = NGX_CONF_UNSET_MSEC;
    cmcf->outbox_concurrency = NGX_CONF_UNSET_UINT;
    cmcf->outbox_lease = NGX_CONF_UNSET_MSEC;
    cmcf->webhook_window = NGX_CONF_UNSET;

    return cmcf;
}


static char *
ngx_csq_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_csq_main_conf_t  *cmcf = conf;

    ngx_conf_init_uint_value(cmcf->redis_pool, 4);
    ngx_conf_init_msec_value(cmcf->redis_timeout, 2000);
    ngx_conf_init_msec_value(cmcf->token_ttl, NGX_CSQ_TOKEN_TTL * 1000);
    ngx_conf_init_msec_value(cmcf->tick, 1000);
    ngx_conf_init_value(cmcf->platform_generation, 0);
    ngx_conf_init_uint_value(cmcf->outbox_concurrency, 32);
    ngx_conf_init_msec_value(cmcf->outbox_lease, 60000);
    ngx_conf_init_value(cmcf->webhook_window, 300);

    if (cmcf->outbox_concurrency == 0 || cmcf->outbox_lease < 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"csq_outbox_concurrency\" must be at least 1 "
                           "and \"csq_outbox_lease\" at least 1s");
        return NGX_CONF_ERROR;
    }

    if (cmcf->token_ttl < 60 * 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"csq_token_ttl\" must be at least 1m");
        return NGX_CONF_ERROR;
    }

    if (cmcf->api && cmcf->secret.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"csq_api\" needs \"csq_secret\" or "
                           "\"csq_secret_file\" in the http block");
        return NGX_CONF_ERROR;
    }

    if (cmcf->redis_timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"csq_redis_timeout\" must be more than 0");
        return NGX_CONF_ERROR;
    }

    if (cmcf->handlers && !cmcf->redis_set) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "csq locations need \"csq_redis\" "
                           "in the http block");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_csq_create_loc_conf(ngx_conf_t *cf)
{
    ngx_csq_loc_conf_t  *clcf;

    clcf = ngx_pcalloc(cf->pool, sizeof(ngx_csq_loc_conf_t));
    if (clcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     clcf->handler = 0;
     */

    clcf->max_body = NGX_CONF_UNSET_SIZE;
    clcf->attach_max = NGX_CONF_UNSET_SIZE;
    clcf->attach_inflight = NGX_CONF_UNSET_SIZE;
    clcf->ws.max_message = NGX_CONF_UNSET_SIZE;
    clcf->ws.send_queue = NGX_CONF_UNSET_SIZE;
    clcf->ws.ping = NGX_CONF_UNSET_MSEC;
    clcf->presence_grace = NGX_CONF_UNSET_MSEC;
    clcf->message_rate = NGX_CONF_UNSET_UINT;
    clcf->message_burst = NGX_CONF_UNSET_UINT;
    clcf->max_messages = NGX_CONF_UNSET_UINT;
    clcf->arrival_limit = NGX_CONF_UNSET_UINT;
    clcf->entry_limit = NGX_CONF_UNSET_UINT;
    clcf->relay_lag_max = NGX_CONF_UNSET_MSEC;
    clcf->max_log_bytes = NGX_CONF_UNSET_SIZE;
    clcf->trusted = NGX_CONF_UNSET_PTR;

    return clcf;
}


static char *
ngx_csq_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_csq_loc_conf_t  *prev = parent;
    ngx_csq_loc_conf_t  *conf = child;

    ngx_http_core_loc_conf_t  *hclcf;

    ngx_conf_merge_size_value(conf->max_body, prev->max_body, 64 * 1024);
    ngx_conf_merge_size_value(conf->attach_max, prev->attach_max,
                              5 * 1024 * 1024);
    ngx_conf_merge_size_value(conf->attach_inflight, prev->attach_inflight,
                              64 * 1024 * 1024);

    if (conf->attach_inflight < conf->attach_max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"csq_attachment_inflight\" must hold at least "
                           "one \"csq_attachment_max_size\"");
        return NGX_CONF_ERROR;
    }
    ngx_conf_merge_size_value(conf->ws.max_message, prev->ws.max_message,
                              64 * 1024);
    ngx_conf_merge_size_value(conf->ws.send_queue, prev->ws.send_queue,
                              256 * 1024);
    ngx_conf_merge_msec_value(conf->ws.ping, prev->ws.ping, 30000);
    ngx_conf_merge_msec_value(conf->presence_grace, prev->presence_grace,
                              30000);
    ngx_conf_merge_uint_value(conf->message_rate, prev->message_rate, 5);
    ngx_conf_merge_uint_value(conf->message_burst, prev->message_burst, 30);
    ngx_conf_merge_uint_value(conf->max_messages, prev->max_messages, 10000);
    ngx_conf_merge_uint_value(conf->arrival_limit, prev->arrival_limit, 30);
    ngx_conf_merge_uint_value(conf->entry_limit, prev->entry_limit, 300);
    ngx_conf_merge_msec_value(conf->relay_lag_max, prev->relay_lag_max, 1000);
    ngx_conf_merge_size_value(conf->max_log_bytes, prev->max_log_bytes,
                              50 * 1024 * 1024);
    ngx_conf_merge_ptr_value(conf->trusted, prev->trusted, NULL);

    if (conf->message_rate == 0 || conf->message_burst == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "csq_message_rate and csq_message_burst must be "
                           "at least 1");
        return NGX_CONF_ERROR;
    }

    /* a full queue must still take one whole message */

    if (conf->ws.send_queue < conf->ws.max_message + 16) {
        conf->ws.send_queue = conf->ws.max_message + 16;
    }

    if (!conf->handler) {
        return NGX_CONF_OK;
    }

    /*
     * csq bodies are parsed from memory: make the body buffer hold the
     * largest accepted body, so nginx never spills one to a temp file
     */

    hclcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (hclcf->client_body_buffer_size < conf->max_body) {
        hclcf->client_body_buffer_size = conf->max_body;
    }

    return NGX_CONF_OK;
}


/*
 * csq_redis <host:port | unix:/path> [password=...] [db=N] [pool=N]
 */

static char *
ngx_csq_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_csq_main_conf_t  *cmcf = conf;

    u_char      *p;
    ngx_int_t    n;
    ngx_str_t   *value, addr;
    ngx_url_t    u;
    ngx_uint_t   i;

    if (cmcf->redis_set) {
        return "is duplicate";
    }

    value = cf->args->elts;

    cmcf->redis_addr = value[1];

    if (ngx_strncmp(value[1].data, "unix:", 5) == 0) {

        addr.len = value[1].len - 5;
        addr.data = value[1].data + 5;

        if (addr.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" has an empty unix socket path",
                               &cmd->name);
            return NGX_CONF_ERROR;
        }

        if (ngx_conf_full_name(cf->cycle, &addr, 0) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        cmcf->redis_unix.data = ngx_pnalloc(cf->pool, addr.len + 1);
        if (cmcf->redis_unix.data == NULL) {
            return NGX_CONF_ERROR;
        }

        p = ngx_cpymem(cmcf->redis_unix.data, addr.data, addr.len);
        *p = '\0';
        cmcf->redis_unix.len = addr.len;

    } else {

        /* resolved here, once: hiredis must never resolve in a worker */

        ngx_memzero(&u, sizeof(ngx_url_t));

        u.url = value[1];
        u.default_port = 6379;

        if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
            if (u.err) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\": %s in \"%V\"",
                                   &cmd->name, u.err, &u.url);
            }

            return NGX_CONF_ERROR;
        }

        if (u.naddrs == 0 || u.addrs[0].sockaddr->sa_family == AF_UNIX) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": no address in \"%V\"",
                               &cmd->name, &u.url);
            return NGX_CONF_ERROR;
        }

        cmcf->redis_host.data = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN);
        if (cmcf->redis_host.data == NULL) {
            return NGX_CONF_ERROR;
        }

        cmcf->redis_host.len = ngx_sock_ntop(u.addrs[0].sockaddr,
                                             u.addrs[0].socklen,
                                             cmcf->redis_host.data,
                                             NGX_SOCKADDR_STRLEN - 1, 0);
        cmcf->redis_host.data[cmcf->redis_host.len] = '\0';
        cmcf->redis_port = u.port;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "password=", 9) == 0) {
            cmcf->redis_password.data = value[i].data + 9;
            cmcf->redis_password.len = value[i].len - 9;

            if (cmcf->redis_password.len == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
            n = ngx_atoi(value[i].data + 3, value[i].len - 3);
            if (n == NGX_ERROR) {
                goto invalid;
            }

            cmcf->redis_db = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "pool=", 5) == 0) {
            n = ngx_atoi(value[i].data + 5, value[i].len - 5);
            if (n == NGX_ERROR || n < 1 || n > NGX_CSQ_POOL_MAX) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\": invalid \"%V\", pool must be "
                                   "1..%d", &cmd->name, &value[i],
                                   NGX_CSQ_POOL_MAX);
                return NGX_CONF_ERROR;
            }

            cmcf->redis_pool = n;
            continue;
        }

        goto invalid;
    }

    cmcf->redis_set = 1;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%V\": invalid parameter \"%V\"",
                       &cmd->name, &value[i]);

    return NGX_CONF_ERROR;
}


static char *
ngx_csq_secret_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_csq_main_conf_t  *cmcf = conf;

    ngx_str_t  *value;

    if (cmcf->secret.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    cmcf->secret = value[1];

    return ngx_csq_check_secret(cf, cmd, &cmcf->secret);
}


/* read at start-up, when blocking file I/O is fine */

static char *
ngx_csq_secret_file_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_csq_main_conf_t  *cmcf = conf;

    u_char           *p;
    size_t            size;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t        *value, name;
    ngx_file_info_t   fi;

    if (cmcf->secret.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%V\": " ngx_open_file_n " \"%s\" failed",
                           &cmd->name, name.data);
        return NGX_CONF_ERROR;
    }

    p = NULL;
    n = NGX_ERROR;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", name.data);
        goto done;
    }

    size = (size_t) ngx_file_size(&fi);

    if (size > 4096) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": \"%s\" is over 4096 bytes",
                           &cmd->name, name.data);
        goto done;
    }

    p = ngx_pnalloc(cf->pool, size + 1);
    if (p == NULL) {
        goto done;
    }

    n = ngx_read_fd(fd, p, size);

    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%s\" failed", name.data);

    } else if ((size_t) n != size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": \"%s\" was read short",
                           &cmd->name, name.data);
        n = NGX_ERROR;
    }

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", name.data);
    }

    if (p == NULL || n == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    /* a trailing newline or space is not part of the secret */

    while (n > 0 && (p[n - 1] == LF || p[n - 1] == CR || p[n - 1] == ' ')) {
        n--;
    }

    cmcf->secret.data = p;
    cmcf->secret.len = n;

    return ngx_csq_check_secret(cf, cmd, &cmcf->secret);
}


static char *
ngx_csq_check_secret(ngx_conf_t *cf, ngx_command_t *cmd, ngx_str_t *secret)
{
    if (secret->len < NGX_CSQ_SECRET_MIN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs a secret of at least %d bytes",
                           &cmd->name, NGX_CSQ_SECRET_MIN);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_csq_check_max_body(ngx_conf_t *cf, void *post, void *data)
{
    size_t  *sp = data;

    if (*sp < 2 || *sp > NGX_CSQ_MAX_BODY_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"csq_max_body\" must be between 2 and %uz",
                           (size_t) NGX_CSQ_MAX_BODY_MAX);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* csq_status, csq_api: the location's content handler is in cmd->post */

static char *
ngx_csq_handler_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_csq_loc_conf_t  *clcf = conf;

    ngx_csq_main_conf_t       *cmcf;
    ngx_http_core_loc_conf_t  *hclcf;

    if (clcf->handler) {
        return "is duplicate";
    }

    clcf->handler = 1;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_csq_module);
    cmcf->handlers = 1;

    hclcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    hclcf->handler = (ngx_http_handler_pt) cmd->post;

    if (hclcf->handler == ngx_csq_api_handler) {
        if (hclcf->regex) {
            return "needs a prefix location, not a regular expression";
        }

        cmcf->api = 1;

        if (ngx_csq_password_init_conf(cf) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_csq_check_ws_size(ngx_conf_t *cf, void *post, void *data)
{
    size_t  *sp = data;

    if (*sp < 128 || *sp > 64 * 1024 * 1024) {
        return "must be between 128 and 64m";
    }

    return NGX_CONF_OK;
}


static char *
ngx_csq_check_ws_ping(ngx_conf_t *cf, void *post, void *data)
{
    ngx_msec_t  *mp = data;

    if (*mp < 100) {
        return "must be at least 100ms";
    }

    return NGX_CONF_OK;
}


/* csq_trusted <address or CIDR> ...: clients exempt from the limits */

static char *
ngx_csq_trusted(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_csq_loc_conf_t  *clcf = conf;

    ngx_int_t     rc;
    ngx_str_t    *value;
    ngx_uint_t    i;
    ngx_cidr_t   *cidr;

    if (clcf->trusted == NGX_CONF_UNSET_PTR) {
        clcf->trusted = ngx_array_create(cf->pool, 2, sizeof(ngx_cidr_t));
        if (clcf->trusted == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        cidr = ngx_array_push(clcf->trusted);
        if (cidr == NULL) {
            return NGX_CONF_ERROR;
        }

        rc = ngx_ptocidr(&value[i], cidr);

        if (rc == NGX_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid address \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        if (rc == NGX_DONE) {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "low address bits of %V are meaningless",
                               &value[i]);
        }
    }

    return NGX_CONF_OK;
}


/*
 * csq_outbox_allow <url prefix> ...: where channels' urls may point (an
 * admin of a tenant names the url: nothing else may be reached from the
 * outbox).  A prefix is a scheme, a host and a path: "https://host/" lets
 * out that host, "https://host" would let "https://host.evil.example" out.
 */

static char *
ngx_csq_outbox_allow(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_csq_main_conf_t  *cmcf = conf;

    u_char      *p, *last;
    ngx_str_t   *value, *a;
    ngx_uint_t   i;

    if (cmcf->outbox_allow == NULL) {
        cmcf->outbox_allow = ngx_array_create(cf->pool, 4, sizeof(ngx_str_t));
        if (cmcf->outbox_allow == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        p = value[i].data;
        last = p + value[i].len;

        if (value[i].len > 8 && ngx_strncmp(p, "https://", 8) == 0) {
            p += 8;

        } else if (value[i].len > 7 && ngx_strncmp(p, "http://", 7) == 0) {
            p += 7;

        } else {
            p = NULL;
        }

        if (p == NULL || ngx_strlchr(p, last, '/') == NULL
            || ngx_strlchr(p, last, '/') == p)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" must be http(s)://host[:port]/path",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        a = ngx_array_push(cmcf->outbox_allow);
        if (a == NULL) {
            return NGX_CONF_ERROR;
        }

        *a = value[i];
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_csq_init_process(ngx_cycle_t *cycle)
{
    ngx_csq_main_conf_t  *cmcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    ngx_csq_password_init_process();

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_csq_module);

    if (cmcf == NULL || !cmcf->redis_set) {
        return NGX_OK;
    }

    if (ngx_csq_redis_init(cycle, cmcf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!cmcf->api) {
        return NGX_OK;
    }

    if (ngx_csq_sub_init(cycle, cmcf) != NGX_OK
        || ngx_csq_outbox_init(cycle, cmcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_csq_tick_init(cycle, cmcf);
}


static void
ngx_csq_exit_process(ngx_cycle_t *cycle)
{
    ngx_csq_tick_done_process();
    ngx_csq_outbox_done_process();
    ngx_csq_sub_done(cycle);
    ngx_csq_redis_done(cycle);
}
