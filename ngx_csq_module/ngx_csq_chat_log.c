
/*
 * Copyright (C) ngx_csq_module authors
 *
 * Delivery by cursor (R5.1): each conversation a socket follows has the
 * last log id it sent, so nothing is sent twice and nothing is skipped.
 * Once every channel of the socket is subscribed it gets its hello (a
 * customer with the log after the last id it saw); live entries from
 * pub/sub are sent when they follow the cursor; whatever pub/sub may have
 * dropped (before the hello, while one or a read-back is under way, after
 * a Redis reconnect) is read back from the log.  The functions' replies
 * carry log entries as { status, json, more, id, frame, id, frame ... }.
 */


#include "ngx_csq_chat_log.h"
#include "ngx_csq_auth.h"


#define NGX_CSQ_CHAT_HISTORY     "100"


/*
 * R9.6: the worker's relay lag, the clock against the time in the ids of
 * the log entries pub/sub brings (Redis' clock); the least of this minute
 * and the last is its base (skew between the clocks, the usual latency)
 */
static int64_t      ngx_csq_chat_lag_base[2] = { INT64_MAX, INT64_MAX };
static ngx_msec_t   ngx_csq_chat_lag_minute;
static int64_t      ngx_csq_chat_lag_last;
static ngx_msec_t   ngx_csq_chat_lag_at;


static void ngx_csq_chat_lag(uint64_t ms);
static void ngx_csq_chat_hello(ngx_csq_chat_t *chat);
static void ngx_csq_chat_greeted(ngx_csq_chat_call_t *call,
    ngx_int_t status, redisReply *reply);
static void ngx_csq_chat_sync(ngx_csq_chat_t *chat, ngx_uint_t i);
static void ngx_csq_chat_synced(ngx_csq_chat_call_t *call,
    ngx_int_t status, redisReply *reply);
static void ngx_csq_chat_frames(ngx_csq_chat_t *chat, ngx_uint_t i,
    redisReply *reply, ngx_uint_t all);


ngx_int_t
ngx_csq_chat_parse_id(u_char *p, size_t len, uint64_t *ms, uint64_t *seq)
{
    u_char      *last, *dash;
    uint64_t     v;
    ngx_uint_t   n;

    last = p + len;
    dash = ngx_strlchr(p, last, '-');

    if (dash == NULL || dash == p || dash + 1 == last || len > 41) {
        return NGX_ERROR;
    }

    for (n = 0; n < 2; n++) {
        v = 0;

        for ( /* void */ ; p < (n ? last : dash); p++) {
            if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10) {
                return NGX_ERROR;
            }

            v = v * 10 + (*p - '0');
        }

        if (n == 0) {
            *ms = v;
            p = dash + 1;

        } else {
            *seq = v;
        }
    }

    return NGX_OK;
}


ngx_csq_cursor_t *
ngx_csq_chat_cursor(ngx_csq_chat_t *chat, u_char *conversation, size_t len,
    ngx_uint_t create)
{
    ngx_uint_t         i;
    ngx_csq_cursor_t  *cur;

    cur = chat->cursors.elts;

    for (i = 0; i < chat->cursors.nelts; i++) {
        if (cur[i].conversation.len == len
            && ngx_strncmp(cur[i].conversation.data, conversation, len) == 0)
        {
            return &cur[i];
        }
    }

    if (!create || len > NGX_CSQ_ID_MAX
        || chat->cursors.nelts >= NGX_CSQ_CHAT_CURSORS_MAX)
    {
        return NULL;
    }

    cur = ngx_array_push(&chat->cursors);
    if (cur == NULL) {
        return NULL;
    }

    ngx_memzero(cur, sizeof(ngx_csq_cursor_t));

    cur->conversation.data = ngx_pnalloc(chat->cursors.pool, len);
    if (cur->conversation.data == NULL) {
        chat->cursors.nelts--;
        return NULL;
    }

    ngx_memcpy(cur->conversation.data, conversation, len);
    cur->conversation.len = len;

    return cur;
}


/*
 * A channel is subscribed.  At first: once all are, the hello.  Later
 * (Redis came back): a fresh hello, and every conversation catches up.
 */

void
ngx_csq_chat_ready(ngx_csq_sub_t *sub)
{
    ngx_csq_chat_t  *chat = sub->data;

    if (chat->closed) {
        return;
    }

    if (!chat->hello_sent) {
        if (++chat->nready >= chat->nsubs) {
            ngx_csq_chat_hello(chat);
        }

        return;
    }

    if (chat->hello_pending) {
        chat->again = 1;       /* it may have read before the resubscribe */
        return;
    }

    /* the hello's answer has the conversations catch up */

    chat->resync = 1;
    ngx_csq_chat_hello(chat);
}


static void
ngx_csq_chat_hello(ngx_csq_chat_t *chat)
{
    u_char             *p;
    ngx_str_t           body, id;
    ngx_csq_cursor_t   *cur;
    u_char              buf[256];

    chat->hello_sent = 1;
    chat->hello_pending = 1;

    ngx_str_null(&id);
    cur = NULL;

    p = ngx_sprintf(buf, "{\"sock\":\"%V\",\"lease\":%M,\"bytes\":%uz,"
                    "\"limit\":" NGX_CSQ_CHAT_HISTORY,
                    &chat->sock, chat->conf->ws.ping * 3,
                    ngx_csq_chat_budget(chat));

    if (chat->role == NGX_CSQ_ROLE_CUSTOMER) {
        cur = chat->cursors.elts;
        id = cur->conversation;
        cur->syncing = 1;
        cur->dirty = 0;

        if (cur->ms || cur->seq) {
            p = ngx_sprintf(p, ",\"after\":\"%uL-%uL\"", cur->ms, cur->seq);
        }
    }

    *p++ = '}';

    body.data = buf;
    body.len = p - buf;

    if (ngx_csq_chat_call(chat, NGX_CSQ_FN_WS_HELLO, &id, &body, NULL, NULL,
                          ngx_csq_chat_greeted, 1, 0)
        != NGX_OK)
    {
        ngx_csq_ws_close(chat->ws, NGX_CSQ_WS_OVERLOAD, "try again later");
    }
}


/* the hello frame, a customer's entries, then what waited for it */

static void
ngx_csq_chat_greeted(ngx_csq_chat_call_t *call, ngx_int_t status,
    redisReply *reply)
{
    ngx_uint_t       i;
    ngx_csq_chat_t  *chat = call->chat;

    chat->hello_pending = 0;

    if (status != NGX_HTTP_OK) {
        ngx_csq_ws_close(chat->ws, NGX_CSQ_WS_POLICY, "gone");
        return;
    }

    (void) ngx_csq_ws_send(chat->ws, (u_char *) reply->element[1]->str,
                           reply->element[1]->len);
    chat->started = 1;

    if (chat->role == NGX_CSQ_ROLE_CUSTOMER) {
        ngx_csq_chat_frames(chat, 0, reply, 0);
    }

    if (chat->resync) {
        chat->resync = 0;

        if (chat->role != NGX_CSQ_ROLE_CUSTOMER) {
            for (i = 0; i < chat->cursors.nelts; i++) {
                ngx_csq_chat_sync(chat, i);
            }
        }
    }

    if (chat->again) {
        chat->again = 0;
        chat->resync = 1;
        ngx_csq_chat_hello(chat);
    }
}


/* the socket's own catch-up of conversation i from its cursor */

static void
ngx_csq_chat_sync(ngx_csq_chat_t *chat, ngx_uint_t i)
{
    u_char            *p;
    ngx_str_t          body;
    ngx_csq_cursor_t  *cur;
    u_char             buf[128];

    cur = (ngx_csq_cursor_t *) chat->cursors.elts + i;

    if (cur->syncing) {
        cur->dirty = 1;
        return;
    }

    cur->syncing = 1;
    cur->dirty = 0;

    p = ngx_sprintf(buf, "{\"after\":\"%uL-%uL\",\"bytes\":%uz,\"limit\":"
                    NGX_CSQ_CHAT_HISTORY "}", cur->ms, cur->seq,
                    ngx_csq_chat_budget(chat));

    body.data = buf;
    body.len = p - buf;

    if (ngx_csq_chat_call(chat, NGX_CSQ_FN_WS_SYNC, &cur->conversation,
                          &body, NULL, NULL, ngx_csq_chat_synced, 1, i)
        != NGX_OK)
    {
        ngx_csq_ws_close(chat->ws, NGX_CSQ_WS_OVERLOAD, "try again later");
    }
}


static void
ngx_csq_chat_synced(ngx_csq_chat_call_t *call, ngx_int_t status,
    redisReply *reply)
{
    ngx_csq_cursor_t  *cur;

    if (status == NGX_HTTP_OK) {
        ngx_csq_chat_frames(call->chat, call->cursor, reply, 0);
        return;
    }

    cur = (ngx_csq_cursor_t *) call->chat->cursors.elts + call->cursor;
    cur->syncing = 0;
}


void
ngx_csq_chat_history(ngx_csq_chat_call_t *call, ngx_int_t status,
    redisReply *reply)
{
    ngx_csq_cursor_t  *cur;

    if (status == NGX_HTTP_OK) {
        ngx_csq_chat_frames(call->chat, call->cursor, reply, 1);

    } else {
        cur = (ngx_csq_cursor_t *) call->chat->cursors.elts + call->cursor;
        cur->syncing = 0;
    }

    ngx_csq_chat_answer(call, status, reply);
}


/*
 * A channel message: "E\n<frame>" passes straight on; "L <conversation>
 * <id>\n<frame>" is a log entry, sent unless already sent or while the
 * conversation is being read back (then it is read back again after);
 * "R <session>" (or "*") on an agent's channel: its session ended.
 */

void
ngx_csq_chat_live(ngx_csq_sub_t *sub, u_char *data, size_t len)
{
    u_char            *p, *last, *conv, *id, *nl;
    uint64_t           ms, seq;
    ngx_csq_chat_t    *chat = sub->data;
    ngx_csq_cursor_t  *cur;

    if (chat->closed || len < 2) {
        return;
    }

    last = data + len;

    if (data[0] == 'E' && data[1] == '\n') {
        if (chat->started) {
            (void) ngx_csq_ws_send(chat->ws, data + 2, len - 2);
        }

        return;
    }

    if (data[0] == 'R' && data[1] == ' ') {

        /* R9.5: "R <session>" or "R *" ends an agent's sessions */

        if (chat->session.len
            && ((len == 3 && data[2] == '*')
                || (len - 2 == chat->session.len
                    && ngx_strncmp(data + 2, chat->session.data,
                                   chat->session.len) == 0)))
        {
            ngx_csq_ws_close(chat->ws, NGX_CSQ_WS_POLICY, "session ended");
        }

        return;
    }

    if (data[0] != 'L' || data[1] != ' ') {
        return;
    }

    nl = ngx_strlchr(data, last, '\n');
    conv = data + 2;
    id = nl ? ngx_strlchr(conv, nl, ' ') : NULL;

    if (id == NULL
        || ngx_csq_chat_parse_id(id + 1, nl - id - 1, &ms, &seq) != NGX_OK)
    {
        return;
    }

    ngx_csq_chat_lag(ms);

    p = nl + 1;

    cur = ngx_csq_chat_cursor(chat, conv, id - conv,
                              chat->started && !chat->hello_pending
                              && sub->ready.next == NULL
                              && chat->role != NGX_CSQ_ROLE_CUSTOMER);
    if (cur == NULL) {
        return;     /* before the hello, or not this socket's */
    }

    /*
     * before the hello, while one is under way, or before this channel's
     * (re)subscription is acted on, the log is read back from the cursor
     * afterwards: sending now would move the cursor past a gap
     */

    if (!chat->started || chat->hello_pending || sub->ready.next
        || cur->syncing)
    {
        cur->dirty = 1;
        return;
    }

    if (ms < cur->ms || (ms == cur->ms && seq <= cur->seq)) {
        return;
    }

    if (ngx_csq_ws_send(chat->ws, p, last - p) == NGX_OK) {
        cur->ms = ms;
        cur->seq = seq;
    }
}


/*
 * A message of this socket is stored ({ 200, ack, previous id, id,
 * frame }): the ack, and the entry right after it, one write for both,
 * when the socket has sent every entry up to the previous one and may
 * send live entries now; its copy through pub/sub is then skipped.  Else
 * the copy, or a read back, brings it as before.
 */

void
ngx_csq_chat_sent(ngx_csq_chat_call_t *call, ngx_int_t status,
    redisReply *reply)
{
    uint64_t           ms, seq, prev_ms, prev_seq;
    ngx_uint_t         i;
    redisReply        *prev, *id, *frame;
    ngx_csq_chat_t    *chat;
    ngx_csq_cursor_t  *cur;

    chat = call->chat;

    ngx_csq_chat_answer(call, status, reply);

    if (status != NGX_HTTP_OK || reply->elements != 5
        || call->cursor >= chat->cursors.nelts
        || !chat->started || chat->hello_pending || chat->closed)
    {
        return;
    }

    for (i = 0; i < chat->nsubs; i++) {
        if (chat->subs[i].ready.next) {
            return;         /* a (re)subscription is not acted on yet */
        }
    }

    prev = reply->element[2];
    id = reply->element[3];
    frame = reply->element[4];
    prev_ms = 0;
    prev_seq = 0;

    if (prev->type != REDIS_REPLY_STRING || id->type != REDIS_REPLY_STRING
        || frame->type != REDIS_REPLY_STRING
        || (prev->len
            && ngx_csq_chat_parse_id((u_char *) prev->str, prev->len,
                                     &prev_ms, &prev_seq)
               != NGX_OK)
        || ngx_csq_chat_parse_id((u_char *) id->str, id->len, &ms, &seq)
           != NGX_OK)
    {
        return;
    }

    cur = (ngx_csq_cursor_t *) chat->cursors.elts + call->cursor;

    if (cur->syncing || cur->dirty || cur->ms != prev_ms
        || cur->seq != prev_seq)
    {
        return;
    }

    if (ngx_csq_ws_send(chat->ws, (u_char *) frame->str, frame->len)
        == NGX_OK)
    {
        cur->ms = ms;
        cur->seq = seq;
    }
}


/*
 * Log entries read back ({ status, json, more, id, frame ... }): sent in
 * order, skipping what the cursor has passed unless the client asked
 * (all); then whatever arrived live meanwhile, or what did not fit, is
 * read back in turn.
 */

static void
ngx_csq_chat_frames(ngx_csq_chat_t *chat, ngx_uint_t i, redisReply *reply,
    ngx_uint_t all)
{
    uint64_t           ms, seq;
    ngx_uint_t         k, more;
    redisReply        *id, *frame;
    ngx_csq_cursor_t  *cur;

    cur = (ngx_csq_cursor_t *) chat->cursors.elts + i;

    for (k = 3; k + 1 < reply->elements; k += 2) {
        id = reply->element[k];
        frame = reply->element[k + 1];

        if (id->type != REDIS_REPLY_STRING
            || frame->type != REDIS_REPLY_STRING
            || ngx_csq_chat_parse_id((u_char *) id->str, id->len, &ms, &seq)
               != NGX_OK)
        {
            continue;
        }

        if (!all && (ms < cur->ms || (ms == cur->ms && seq <= cur->seq))) {
            continue;
        }

        if (ngx_csq_ws_send(chat->ws, (u_char *) frame->str, frame->len)
            != NGX_OK)
        {
            return;
        }

        if (ms > cur->ms || (ms == cur->ms && seq > cur->seq)) {
            cur->ms = ms;
            cur->seq = seq;
        }
    }

    cur->syncing = 0;

    more = reply->elements > 2
           && reply->element[2]->type == REDIS_REPLY_INTEGER
           && reply->element[2]->integer == 1;

    if (!cur->dirty && !(more && !all)) {
        return;
    }

    /*
     * more to read back: once what is queued is out (the read-back goes
     * at the client's pace, never past the send queue); live entries wait
     * meanwhile, as while syncing
     */

    if (chat->ws->queued) {
        cur->syncing = 1;
        cur->paced = 1;
        return;
    }

    ngx_csq_chat_sync(chat, i);
}


/* the send queue is empty: paced read-backs go on */

void
ngx_csq_chat_drained(ngx_csq_ws_t *ws)
{
    ngx_uint_t         i;
    ngx_csq_chat_t    *chat = ws->data;
    ngx_csq_cursor_t  *cur;

    if (chat->closed) {
        return;
    }

    cur = chat->cursors.elts;

    for (i = 0; i < chat->cursors.nelts; i++) {
        if (cur[i].paced) {
            cur[i].paced = 0;
            cur[i].syncing = 0;
            ngx_csq_chat_sync(chat, i);
        }
    }
}


/*
 * How much a read-back may bring: half the room in the send queue, so
 * that live entries still fit beside it (one entry comes in any case)
 */

size_t
ngx_csq_chat_budget(ngx_csq_chat_t *chat)
{
    return ngx_max(ngx_csq_ws_room(chat->ws) / 2, 1);
}


/* a log entry of Redis' time ms came through pub/sub now */

static void
ngx_csq_chat_lag(uint64_t ms)
{
    int64_t      lag;
    ngx_msec_t   minute;
    ngx_time_t  *tp;

    tp = ngx_timeofday();
    lag = (int64_t) tp->sec * 1000 + (int64_t) tp->msec - (int64_t) ms;

    minute = ngx_current_msec / 60000;

    if (minute != ngx_csq_chat_lag_minute) {
        ngx_csq_chat_lag_base[1] = (minute == ngx_csq_chat_lag_minute + 1)
                                   ? ngx_csq_chat_lag_base[0] : INT64_MAX;
        ngx_csq_chat_lag_base[0] = INT64_MAX;
        ngx_csq_chat_lag_minute = minute;
    }

    if (lag < ngx_csq_chat_lag_base[0]) {
        ngx_csq_chat_lag_base[0] = lag;
    }

    ngx_csq_chat_lag_last = lag;
    ngx_csq_chat_lag_at = ngx_current_msec;
}


ngx_uint_t
ngx_csq_chat_behind(ngx_msec_t max)
{
    int64_t  base;

    /* a lag of more than a second ago says nothing of now */

    if (max == 0 || ngx_current_msec - ngx_csq_chat_lag_at > 1000) {
        return 0;
    }

    base = ngx_min(ngx_csq_chat_lag_base[0], ngx_csq_chat_lag_base[1]);

    return ngx_csq_chat_lag_last - base > (int64_t) max;
}
