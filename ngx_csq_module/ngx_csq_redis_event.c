
/*
 * Copyright (C) ngx_csq_module authors
 *
 * The hiredis async adapter: a hiredis context's socket as an nginx
 * connection on the worker's event loop.  hiredis owns and closes the fd;
 * nginx only watches it.  Events are level-triggered, so whatever a single
 * hiredis read (at most 16 KiB) leaves in the socket is reported again on
 * the next loop iteration instead of being lost to edge triggering.
 * Also the stand-in connection of every csq timer event.
 */


#include "ngx_csq_redis_event.h"


static void ngx_csq_redis_event_read(ngx_event_t *ev);
static void ngx_csq_redis_event_write(ngx_event_t *ev);
static void ngx_csq_redis_event_add_read(void *privdata);
static void ngx_csq_redis_event_del_read(void *privdata);
static void ngx_csq_redis_event_add_write(void *privdata);
static void ngx_csq_redis_event_del_write(void *privdata);
static void ngx_csq_redis_event_cleanup(void *privdata);
static void ngx_csq_redis_event_add(ngx_event_t *ev, ngx_int_t event);
static void ngx_csq_redis_event_del(ngx_event_t *ev, ngx_int_t event);



/* its fd is set to -1 by ngx_csq_redis_init(), before any csq timer */
ngx_connection_t  ngx_csq_timer_conn;

/* hiredis writes now: a command left unsent waits for epoll */
static ngx_uint_t  ngx_csq_redis_event_writing;

ngx_int_t
ngx_csq_redis_event_attach(redisAsyncContext *ac, ngx_log_t *log)
{
    ngx_connection_t  *c;

    c = ngx_get_connection(ac->c.fd, log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = ac;
    c->read->handler = ngx_csq_redis_event_read;
    c->write->handler = ngx_csq_redis_event_write;
    c->read->log = log;
    c->write->log = log;

    ac->ev.data = c;
    ac->ev.addRead = ngx_csq_redis_event_add_read;
    ac->ev.delRead = ngx_csq_redis_event_del_read;
    ac->ev.addWrite = ngx_csq_redis_event_add_write;
    ac->ev.delWrite = ngx_csq_redis_event_del_write;
    ac->ev.cleanup = ngx_csq_redis_event_cleanup;

    return NGX_OK;
}


/*
 * hiredis reads at most 16 KiB a call: while more is waiting, read on (a
 * few times) rather than a loop iteration later, so that a busy pub/sub
 * connection does not fall behind; stop if the context went away
 */

static void
ngx_csq_redis_event_read(ngx_event_t *ev)
{
    int                 n;
    ngx_uint_t          i;
    ngx_connection_t   *c = ev->data;
    redisAsyncContext  *ac;

    ac = c->data;

    for (i = 0; i < 8; i++) {
        redisAsyncHandleRead(ac);

        if (c->fd == (ngx_socket_t) -1 || c->data != ac || ac->ev.data != c
            || ngx_socket_nread(c->fd, &n) == -1 || n <= 0)
        {
            return;
        }
    }
}


static void
ngx_csq_redis_event_write(ngx_event_t *ev)
{
    ngx_connection_t  *c = ev->data;

    ngx_csq_redis_event_writing = 1;
    redisAsyncHandleWrite(c->data);
    ngx_csq_redis_event_writing = 0;
}


static void
ngx_csq_redis_event_add_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_csq_redis_event_add(c->read, NGX_READ_EVENT);
}


static void
ngx_csq_redis_event_del_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_csq_redis_event_del(c->read, NGX_READ_EVENT);
}


/*
 * Commands to send: they go out at the end of this loop iteration, all
 * those of the iteration in one write, without asking epoll first (no
 * epoll_ctl, no wait for the next iteration).  Only while connecting, or
 * when a write could not send everything (the socket is full), does epoll
 * watch for room.
 */

static void
ngx_csq_redis_event_add_write(void *privdata)
{
    ngx_connection_t   *c = privdata;
    redisAsyncContext  *ac;

    ac = c->data;

    /* a connect under way is told by epoll (writable once connected) */

    if (ngx_csq_redis_event_writing || !(ac->c.flags & REDIS_CONNECTED)) {
        ngx_csq_redis_event_add(c->write, NGX_WRITE_EVENT);
        return;
    }

    if (!c->write->active && !c->write->posted) {
        ngx_post_event(c->write, &ngx_posted_events);
    }
}


static void
ngx_csq_redis_event_del_write(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_csq_redis_event_del(c->write, NGX_WRITE_EVENT);

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }
}


/* hiredis asks for these again and again: they must be idempotent */

static void
ngx_csq_redis_event_add(ngx_event_t *ev, ngx_int_t event)
{
    if (!ev->active
        && ngx_add_event(ev, event, NGX_LEVEL_EVENT) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                      "csq: redis: adding an event failed");
    }
}


static void
ngx_csq_redis_event_del(ngx_event_t *ev, ngx_int_t event)
{
    if (ev->active) {
        (void) ngx_del_event(ev, event, 0);
    }
}


/* hiredis is about to close the fd and free the context */

static void
ngx_csq_redis_event_cleanup(void *privdata)
{
    ngx_connection_t  *c = privdata;

    redisAsyncContext  *ac;

    ac = c->data;
    ac->ev.data = NULL;

    ngx_csq_redis_event_del_read(c);
    ngx_csq_redis_event_del_write(c);

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    ngx_free_connection(c);

    c->fd = (ngx_socket_t) -1;
}
