
/*
 * Copyright (C) ngx_csq_module authors
 *
 * The periodic tick: every csq_tick, the first worker of each nginx runs
 * tick.lua for every tenant of the registry (auto-end of silent
 * conversations, waiting conversations to agents with room, presence,
 * retention).  The function
 * is atomic and idempotent, so several nodes ticking at once do each
 * thing once.
 */


#include "ngx_csq_module.h"
#include "ngx_csq_tick.h"
#include "ngx_csq_redis.h"


#define NGX_CSQ_TICK_ARGS  7


static void ngx_csq_tick_handler(ngx_event_t *ev);
static void ngx_csq_tick_tenants(void *data, ngx_int_t rc,
    redisReply *reply);
static void ngx_csq_tick_done(void *data, ngx_int_t rc, redisReply *reply);


static ngx_event_t           ngx_csq_tick_event;
static ngx_csq_main_conf_t  *ngx_csq_tick_conf;


ngx_int_t
ngx_csq_tick_init(ngx_cycle_t *cycle, ngx_csq_main_conf_t *cmcf)
{
    if (cmcf->tick == 0 || ngx_worker != 0) {
        return NGX_OK;
    }

    ngx_csq_tick_conf = cmcf;

    ngx_csq_tick_event.handler = ngx_csq_tick_handler;
    ngx_csq_tick_event.data = &ngx_csq_timer_conn;
    ngx_csq_tick_event.log = cycle->log;
    ngx_csq_tick_event.cancelable = 1;

    ngx_add_timer(&ngx_csq_tick_event, cmcf->tick);

    return NGX_OK;
}


void
ngx_csq_tick_done_process(void)
{
    if (ngx_csq_tick_event.timer_set) {
        ngx_del_timer(&ngx_csq_tick_event);
    }
}


static void
ngx_csq_tick_handler(ngx_event_t *ev)
{
    ngx_str_t  registry;

    ngx_str_set(&registry, NGX_CSQ_REGISTRY_KEY);

    /* nothing to do when Redis is away: the next tick tries again */

    (void) ngx_csq_redis_fcall(NGX_CSQ_FN_TENANTS, 1, &registry, 1,
                                ngx_csq_tick_tenants, NULL);

    ngx_add_timer(ev, ngx_csq_tick_conf->tick);
}


static void
ngx_csq_tick_tenants(void *data, ngx_int_t rc, redisReply *reply)
{
    u_char       key[NGX_CSQ_TENANT_KEY_LEN], now[NGX_INT64_LEN + 4];
    ngx_str_t    argv[NGX_CSQ_TICK_ARGS];
    ngx_uint_t   i;
    ngx_time_t  *tp;
    redisReply  *t;

    if (rc != NGX_CSQ_REDIS_OK || reply->type != REDIS_REPLY_ARRAY) {
        return;
    }

    tp = ngx_timeofday();

    ngx_memzero(argv, sizeof(argv));

    argv[1].data = now;
    argv[1].len = ngx_sprintf(now, "%T%03M", tp->sec, tp->msec) - now;
    ngx_str_set(&argv[3], "platform");

    for (i = 0; i < reply->elements; i++) {
        t = reply->element[i];

        if (t->type != REDIS_REPLY_STRING || t->len == 0
            || t->len > NGX_CSQ_TENANT_KEY_LEN - sizeof("csq:{}:tenant"))
        {
            continue;
        }

        /* the command keeps its own copy of the arguments */

        argv[0].data = key;
        argv[0].len = ngx_sprintf(key, "csq:{%*s}:tenant", t->len, t->str)
                      - key;

        (void) ngx_csq_redis_fcall(NGX_CSQ_FN_TICK, 1, argv,
                                    NGX_CSQ_TICK_ARGS, ngx_csq_tick_done,
                                    NULL);
    }
}


static void
ngx_csq_tick_done(void *data, ngx_int_t rc, redisReply *reply)
{
    ngx_uint_t  level;

    if (rc != NGX_CSQ_REDIS_OK) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "csq: redis: tick failed: %s", reply->str);
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) {
        return;
    }

    /* indexing for search goes on all the time: alone, at debug */

    level = (reply->element[0]->integer || reply->element[1]->integer
             || reply->element[2]->integer)
            ? NGX_LOG_INFO : NGX_LOG_DEBUG;

    ngx_log_error(level, ngx_cycle->log, 0,
                  "csq: tick: %L conversations ended, %L assigned, "
                  "%L past retention deleted, %L messages indexed",
                  reply->element[0]->integer,
                  reply->element[1]->integer,
                  reply->element[2]->integer,
                  reply->element[3]->integer);
}
