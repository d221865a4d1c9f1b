
/*
 * Copyright (C) ngx_csq_module authors
 *
 * The periodic tick: every csq_tick, the first worker of each nginx runs
 * tick.lua for every tenant of the registry (auto-end of silent
 * conversations, waiting conversations to agents with room, presence,
 * retention, a step of indexing for search).  The function is atomic and
 * idempotent, so several nodes ticking at once do each thing once.  When
 * the tick's indexing step was full, index_step.lua runs again, one call
 * after another, at most NGX_CSQ_INDEX_ROUNDS times a tick, so that a
 * busy tenant's messages are searchable soon while no call holds Redis
 * long.  A tenant with something due in its outbox wakes this worker's
 * sender (ngx_csq_outbox.c), in case its wake-up was lost.
 */


#include "ngx_csq_module.h"
#include "ngx_csq_tick.h"
#include "ngx_csq_redis.h"
#include "ngx_csq_outbox.h"


#define NGX_CSQ_TICK_ARGS      7
#define NGX_CSQ_INDEX_ROUNDS  10


static void ngx_csq_tick_handler(ngx_event_t *ev);
static void ngx_csq_tick_tenants(void *data, ngx_int_t rc,
    redisReply *reply);
static void ngx_csq_tick_done(void *data, ngx_int_t rc, redisReply *reply);
static void ngx_csq_tick_index(ngx_uint_t round, redisReply *more,
    redisReply *tenant);
static void ngx_csq_tick_indexed(void *data, ngx_int_t rc,
    redisReply *reply);
static void ngx_csq_tick_call(ngx_uint_t fn, ngx_str_t *tenant,
    ngx_csq_redis_handler_pt handler, void *data);


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
    ngx_str_t    tenant;
    ngx_uint_t   i;
    redisReply  *t;

    if (rc != NGX_CSQ_REDIS_OK || reply->type != REDIS_REPLY_ARRAY) {
        return;
    }

    for (i = 0; i < reply->elements; i++) {
        t = reply->element[i];

        if (t->type != REDIS_REPLY_STRING) {
            continue;
        }

        tenant.data = (u_char *) t->str;
        tenant.len = t->len;

        ngx_csq_tick_call(NGX_CSQ_FN_TICK, &tenant, ngx_csq_tick_done, NULL);
    }
}


/* function fn for a tenant, as the platform, now */

static void
ngx_csq_tick_call(ngx_uint_t fn, ngx_str_t *tenant,
    ngx_csq_redis_handler_pt handler, void *data)
{
    u_char       key[NGX_CSQ_TENANT_KEY_LEN], now[NGX_INT64_LEN + 4];
    ngx_str_t    argv[NGX_CSQ_TICK_ARGS];
    ngx_time_t  *tp;

    if (tenant->len == 0
        || tenant->len > NGX_CSQ_TENANT_KEY_LEN - sizeof("csq:{}:tenant"))
    {
        return;
    }

    tp = ngx_timeofday();

    ngx_memzero(argv, sizeof(argv));

    /* the command keeps its own copy of the arguments */

    argv[0].data = key;
    argv[0].len = ngx_sprintf(key, "csq:{%V}:tenant", tenant) - key;
    argv[1].data = now;
    argv[1].len = ngx_sprintf(now, "%T%03M", tp->sec, tp->msec) - now;
    ngx_str_set(&argv[3], "platform");

    (void) ngx_csq_redis_fcall(fn, 1, argv, NGX_CSQ_TICK_ARGS, handler,
                                data);
}


static void
ngx_csq_tick_done(void *data, ngx_int_t rc, redisReply *reply)
{
    ngx_str_t   tenant;
    ngx_uint_t  level;

    if (rc != NGX_CSQ_REDIS_OK) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "csq: redis: tick failed: %s", reply->str);
        return;
    }

    /*
     * { ended, assigned, swept, indexed, more to index, tenant, something
     * due in the outbox }
     */

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 7) {
        return;
    }

    if (reply->element[6]->type == REDIS_REPLY_INTEGER
        && reply->element[6]->integer
        && reply->element[5]->type == REDIS_REPLY_STRING)
    {
        tenant.data = (u_char *) reply->element[5]->str;
        tenant.len = reply->element[5]->len;

        ngx_csq_outbox_wake(&tenant);
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

    ngx_csq_tick_index(0, reply->element[4], reply->element[5]);
}


/* one more step of indexing while the last one was full (round: so far) */

static void
ngx_csq_tick_index(ngx_uint_t round, redisReply *more, redisReply *tenant)
{
    ngx_str_t  t;

    if (more->type != REDIS_REPLY_INTEGER || more->integer == 0
        || tenant->type != REDIS_REPLY_STRING
        || round >= NGX_CSQ_INDEX_ROUNDS)
    {
        return;
    }

    t.data = (u_char *) tenant->str;
    t.len = tenant->len;

    ngx_csq_tick_call(NGX_CSQ_FN_INDEX_STEP, &t, ngx_csq_tick_indexed,
                      (void *) (uintptr_t) (round + 1));
}


/* { indexed, more to index, tenant } */

static void
ngx_csq_tick_indexed(void *data, ngx_int_t rc, redisReply *reply)
{
    if (rc != NGX_CSQ_REDIS_OK) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "csq: redis: indexing failed: %s", reply->str);
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, ngx_cycle->log, 0,
                   "csq: tick: %L more messages indexed",
                   reply->element[0]->integer);

    ngx_csq_tick_index((uintptr_t) data, reply->element[1],
                       reply->element[2]);
}
