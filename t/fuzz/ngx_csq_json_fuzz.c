/*
 * libFuzzer harness for the request-body JSON parser (make fuzz), the
 * guard every API body and socket frame passes before Redis.  The input is
 * parsed twice: in one buffer, and in a chain of pieces whose sizes come
 * from the input itself; both must agree on the result, and an accepted
 * document, generated again and parsed again, must give the same text
 * (the tree holds what was sent, within the depth and size limits).
 * nginx's pool is replaced by a small one of single mallocs here, so that
 * the address sanitizer sees every block; the HTTP side of the JSON file
 * is never reached and is stubbed.
 */

#include "ngx_csq_json.h"
#include <yajl/yajl_gen.h>


/* --- a pool of separate mallocs, freed together */

typedef struct ngx_csq_fuzz_block_s  ngx_csq_fuzz_block_t;

struct ngx_csq_fuzz_block_s {
    ngx_csq_fuzz_block_t  *next;
};


static ngx_csq_fuzz_block_t  *ngx_csq_fuzz_blocks;


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    ngx_csq_fuzz_block_t  *b;

    b = malloc(sizeof(ngx_csq_fuzz_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = ngx_csq_fuzz_blocks;
    ngx_csq_fuzz_blocks = b;

    return b + 1;
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


void *
ngx_pcalloc(ngx_pool_t *pool, size_t size)
{
    void  *p;

    p = ngx_palloc(pool, size);
    if (p) {
        memset(p, 0, size);
    }

    return p;
}


u_char *
ngx_pstrdup(ngx_pool_t *pool, ngx_str_t *src)
{
    u_char  *dst;

    dst = ngx_pnalloc(pool, src->len);
    if (dst) {
        memcpy(dst, src->data, src->len);
    }

    return dst;
}


ngx_int_t
ngx_pfree(ngx_pool_t *pool, void *p)
{
    return NGX_DECLINED;
}


static void
ngx_csq_fuzz_free_all(void)
{
    ngx_csq_fuzz_block_t  *b, *next;

    for (b = ngx_csq_fuzz_blocks; b; b = next) {
        next = b->next;
        free(b);
    }

    ngx_csq_fuzz_blocks = NULL;
}


/* --- the HTTP side of ngx_csq_json.c, never reached from the parser */

#define NGX_CSQ_FUZZ_UNREACHED  { __builtin_trap(); }

ngx_int_t ngx_http_read_client_request_body(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt h) NGX_CSQ_FUZZ_UNREACHED
void ngx_http_finalize_request(ngx_http_request_t *r, ngx_int_t rc)
    NGX_CSQ_FUZZ_UNREACHED
ngx_int_t ngx_http_send_header(ngx_http_request_t *r) NGX_CSQ_FUZZ_UNREACHED
ngx_int_t ngx_http_discard_request_body(ngx_http_request_t *r)
    NGX_CSQ_FUZZ_UNREACHED
ngx_csq_ctx_t *ngx_csq_get_ctx(ngx_http_request_t *r) NGX_CSQ_FUZZ_UNREACHED
ngx_int_t ngx_http_output_filter(ngx_http_request_t *r, ngx_chain_t *in)
    NGX_CSQ_FUZZ_UNREACHED
ngx_int_t ngx_csq_send_body(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, ngx_str_t *body) NGX_CSQ_FUZZ_UNREACHED
ngx_buf_t *ngx_create_temp_buf(ngx_pool_t *pool, size_t size)
    NGX_CSQ_FUZZ_UNREACHED
void ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...) NGX_CSQ_FUZZ_UNREACHED
u_char *ngx_sprintf(u_char *buf, const char *fmt, ...) NGX_CSQ_FUZZ_UNREACHED
ngx_module_t  ngx_http_csq_module;
ngx_module_t  ngx_http_core_module;


/* --- the checks */

/* parses data as a chain of pieces of `step` bytes (0: one buffer) */
static ngx_int_t
ngx_csq_fuzz_parse(const uint8_t *data, size_t size, size_t step,
    ngx_csq_json_t **root)
{
    size_t        i, n;
    ngx_str_t     err;
    ngx_buf_t     bufs[64];
    ngx_chain_t   chain[64];

    if (step == 0 || (size + step - 1) / step > 64) {
        step = size ? size : 1;
    }

    n = 0;

    for (i = 0; i < size || n == 0; i += step) {
        memset(&bufs[n], 0, sizeof(ngx_buf_t));
        bufs[n].pos = (u_char *) data + i;
        bufs[n].last = (u_char *) data + (i + step > size ? size : i + step);
        bufs[n].memory = 1;
        chain[n].buf = &bufs[n];
        chain[n].next = NULL;

        if (n) {
            chain[n - 1].next = &chain[n];
        }

        n++;

        if (size == 0) {
            break;
        }
    }

    return ngx_csq_json_parse(NULL, chain, root, &err);
}


/* the tree generated as text (beautify off: one canonical form) */
static size_t
ngx_csq_fuzz_text(ngx_csq_json_t *root, u_char *out, size_t max)
{
    size_t                len;
    yajl_gen              g;
    const unsigned char  *buf;

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        __builtin_trap();
    }

    ngx_csq_json_gen_value(g, root);

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        __builtin_trap();
    }

    len = len > max ? max : len;
    memcpy(out, buf, len);
    yajl_gen_free(g);

    return len;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t           n1, n2, step;
    ngx_int_t        rc1, rc2, rc3;
    ngx_csq_json_t  *r1, *r2, *r3;
    static u_char    t1[1 << 20], t2[1 << 20];

    if (size > 65536) {
        return 0;
    }

    step = size ? (size_t) (data[0] % 17) + 1 : 1;

    r1 = r2 = r3 = NULL;
    rc1 = ngx_csq_fuzz_parse(data, size, 0, &r1);
    rc2 = ngx_csq_fuzz_parse(data, size, step, &r2);

    if (rc1 != rc2) {
        __builtin_trap();       /* the pieces changed the answer */
    }

    if (rc1 == NGX_OK) {
        if (r1 == NULL || r2 == NULL) {
            __builtin_trap();
        }

        n1 = ngx_csq_fuzz_text(r1, t1, sizeof(t1));
        n2 = ngx_csq_fuzz_text(r2, t2, sizeof(t2));

        if (n1 != n2 || memcmp(t1, t2, n1) != 0) {
            __builtin_trap();
        }

        /* what it generates, it parses again to the same text */

        rc3 = ngx_csq_fuzz_parse(t1, n1, 0, &r3);

        if (rc3 != NGX_OK || r3 == NULL) {
            __builtin_trap();
        }

        n2 = ngx_csq_fuzz_text(r3, t2, sizeof(t2));

        if (n1 != n2 || memcmp(t1, t2, n1) != 0) {
            __builtin_trap();
        }

        (void) ngx_csq_json_get(r1, "type");
    }

    ngx_csq_fuzz_free_all();

    return 0;
}
