
/*
 * Copyright (C) ngx_csq_module authors
 *
 * The pages (customer chat, site widget, agent workbench) and their
 * files: embedded at build time from pages/, or read from csq_pages_root
 * when the configuration is read (never from disk while serving).  A
 * tenant's page asks Redis which sites may embed it (R1.3): the library
 * checks the widget script's Referer, and the chat page says so in
 * frame-ancestors.
 */


#include <ngx_md5.h>
#include "ngx_csq_module.h"
#include "ngx_csq_pages.h"
#include "ngx_csq_http.h"
#include "ngx_csq_call.h"
#include "ngx_csq_redis.h"
#include "ngx_csq_json.h"


#define NGX_CSQ_PAGE_MAX      (1024 * 1024)


static ngx_csq_page_file_t *ngx_csq_page_file(ngx_http_request_t *r,
    ngx_str_t *name);
static ngx_int_t ngx_csq_page_reply(ngx_http_request_t *r, void *data);
static ngx_int_t ngx_csq_page_send(ngx_http_request_t *r,
    ngx_csq_page_file_t *a, ngx_str_t *ancestors);
static void ngx_csq_page_type(ngx_str_t *name, ngx_str_t *type);
static ngx_uint_t ngx_csq_page_html(ngx_csq_page_file_t *a);
static ngx_uint_t ngx_csq_page_is(ngx_csq_page_file_t *a, char *name);


/* the request's page, for the function's reply */
typedef struct {
    ngx_csq_page_file_t     *file;
} ngx_csq_page_ctx_t;


static ngx_csq_page_file_t *
ngx_csq_page_file(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_uint_t            i;
    ngx_csq_page_file_t      *a;
    ngx_csq_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_csq_module);

    a = cmcf->page_files ? cmcf->page_files->elts : ngx_csq_page_files;

    for (i = 0; a[i].name.len; i++) {
        if (a[i].name.len == name->len
            && ngx_strncmp(a[i].name.data, name->data, name->len) == 0)
        {
            return &a[i];
        }
    }

    return NULL;
}


/*
 * GET assets/<name> (tenant empty), or a tenant's page: first Redis says
 * whether the tenant is there and which origins may embed it
 */

ngx_int_t
ngx_csq_page_handler(ngx_http_request_t *r, ngx_str_t *tenant,
    ngx_str_t *name)
{
    ngx_csq_fcall_t      call;
    ngx_csq_ctx_t       *ctx;
    ngx_csq_page_file_t     *a;
    ngx_csq_page_ctx_t  *pctx;

    a = ngx_csq_page_file(r, name);

    if (a == NULL) {
        return ngx_csq_json_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                  "no such file");
    }

    if (tenant->len == 0) {
        return ngx_csq_page_send(r, a, NULL);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);

    pctx = ngx_pcalloc(r->pool, sizeof(ngx_csq_page_ctx_t));
    if (pctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pctx->file = a;
    ctx->data = pctx;

    /* the widget's script: the page that includes it, by its Referer */

    ngx_memzero(&call, sizeof(ngx_csq_fcall_t));
    call.fn = NGX_CSQ_FN_PAGE;
    call.tenant = *tenant;
    call.id = a->name;

    if (ngx_csq_page_is(a, "widget.js") && r->headers_in.referer) {
        call.origin = r->headers_in.referer->value;
    }

    return ngx_csq_call(r, &call, ngx_csq_page_reply);
}


/* { 200, the origins, space-separated }, { 403, error }, { 404, error } */

static ngx_int_t
ngx_csq_page_reply(ngx_http_request_t *r, void *data)
{
    ngx_int_t            status;
    ngx_str_t            origins, ancestors;
    ngx_csq_ctx_t       *ctx;
    ngx_csq_page_file_t     *a;
    ngx_csq_page_ctx_t  *pctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_csq_module);
    pctx = ctx->data;
    a = pctx->file;

    if (ngx_csq_call_result(r, data, &status, &origins) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (status == NGX_HTTP_NOT_FOUND && ngx_csq_page_is(a, "chat.html")) {

        /* the chat page itself tells its visitor the tenant is gone */

        ngx_str_set(&ancestors, "'self'");
        return ngx_csq_page_send(r, a, &ancestors);
    }

    if (status != NGX_HTTP_OK) {
        return ngx_csq_call_send(r, status, &origins);
    }

    if (ngx_csq_page_is(a, "widget.js")) {
        return ngx_csq_page_send(r, a, NULL);
    }

    /* frame-ancestors: 'self' and the listed origins, or anyone */

    if (origins.len == 0) {
        ngx_str_set(&ancestors, "*");
        return ngx_csq_page_send(r, a, &ancestors);
    }

    ancestors.data = ngx_pnalloc(r->pool, sizeof("'self' ") + origins.len);
    if (ancestors.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ancestors.len = ngx_sprintf(ancestors.data, "'self' %V", &origins)
                    - ancestors.data;

    return ngx_csq_page_send(r, a, &ancestors);
}


static ngx_uint_t
ngx_csq_page_html(ngx_csq_page_file_t *a)
{
    return a->name.len > 5
           && ngx_strncmp(a->name.data + a->name.len - 5, ".html", 5) == 0;
}


static ngx_uint_t
ngx_csq_page_is(ngx_csq_page_file_t *a, char *name)
{
    size_t  len;

    len = ngx_strlen(name);

    return a->name.len == len && ngx_strncmp(a->name.data, name, len) == 0;
}


static ngx_int_t
ngx_csq_page_send(ngx_http_request_t *r, ngx_csq_page_file_t *a,
    ngx_str_t *ancestors)
{
    u_char     *p;
    ngx_str_t   v, none, img;

    if (ngx_csq_add_header(r, "ETag", &a->etag) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&v, "no-cache");
    if (ngx_csq_add_header(r, "Cache-Control", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&v, "nosniff");
    if (ngx_csq_add_header(r, "X-Content-Type-Options", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * every page has a CSP.  The workbench is never framed, and loads no
     * image from another host (a customer's link would learn the agent's
     * address: it shows a link instead), only its own and the blobs of
     * attachments it read (attach.js); the chat page may be framed by
     * the tenant's sites; a page of assets/ by nobody
     */

    if (ancestors || ngx_csq_page_html(a)) {
        if (ngx_csq_page_is(a, "workbench.html")) {
            ngx_str_set(&none, "'none'");
            ancestors = &none;
            ngx_str_set(&img, "'self' data: blob:");

        } else {
            if (ancestors == NULL) {
                ngx_str_set(&none, "'none'");
                ancestors = &none;
            }

            ngx_str_set(&img, "* data: blob:");
        }

        p = ngx_pnalloc(r->pool, ancestors->len + 256);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        v.data = p;
        v.len = ngx_sprintf(p, "default-src 'self'; connect-src 'self' ws: "
                            "wss:; img-src %V; frame-ancestors %V",
                            &img, ancestors)
                - p;

        if (ngx_csq_add_header(r, "Content-Security-Policy", &v)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* If-None-Match with the same ETag: 304 */

    if (r->headers_in.if_none_match
        && r->headers_in.if_none_match->value.len == a->etag.len
        && ngx_strncmp(r->headers_in.if_none_match->value.data,
                       a->etag.data, a->etag.len) == 0)
    {
        r->headers_out.content_type = a->type;
        r->headers_out.content_type_len = a->type.len;
        r->headers_out.status = NGX_HTTP_NOT_MODIFIED;
        r->header_only = 1;
        return ngx_http_send_header(r);
    }

    return ngx_csq_send_body(r, NGX_HTTP_OK, &a->type, &a->data);
}


static void
ngx_csq_page_type(ngx_str_t *name, ngx_str_t *type)
{
    ngx_uint_t  i;
    ngx_str_t   ext;

    static char  *types[][2] = {
        { ".html", "text/html; charset=utf-8" },
        { ".js", "text/javascript; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" },
        { ".svg", "image/svg+xml" },
        { ".png", "image/png" },
        { ".ico", "image/x-icon" },
        { NULL, "application/octet-stream" }
    };

    for (i = 0; types[i][0]; i++) {
        ext.data = (u_char *) types[i][0];
        ext.len = ngx_strlen(types[i][0]);

        if (name->len > ext.len
            && ngx_strncmp(name->data + name->len - ext.len, ext.data,
                           ext.len) == 0)
        {
            break;
        }
    }

    type->data = (u_char *) types[i][1];
    type->len = ngx_strlen(types[i][1]);
}


/*
 * csq_pages_root <dir>: the files found there replace the embedded ones
 * of the same name (and may add more); read now, at configuration time
 */

char *
ngx_csq_pages_root_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_csq_main_conf_t  *cmcf = conf;

    u_char           *buf;
    size_t            size;
    ssize_t           n;
    ngx_dir_t         dir;
    ngx_str_t        *value, path, name;
    ngx_md5_t         md5;
    ngx_uint_t        i, found;
    ngx_file_t        file;
    ngx_csq_page_file_t  *a, *all;
    u_char            md[16], hex[32];

    if (cmcf->page_files) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    cmcf->page_files = ngx_array_create(cf->pool, 16,
                                        sizeof(ngx_csq_page_file_t));
    if (cmcf->page_files == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0; ngx_csq_page_files[i].name.len; i++) {
        a = ngx_array_push(cmcf->page_files);
        if (a == NULL) {
            return NGX_CONF_ERROR;
        }

        *a = ngx_csq_page_files[i];
    }

    if (ngx_open_dir(&path, &dir) == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"csq_pages_root\": cannot open \"%V\"", &path);
        return NGX_CONF_ERROR;
    }

    for ( ;; ) {
        ngx_set_errno(0);

        if (ngx_read_dir(&dir) == NGX_ERROR) {
            break;
        }

        name.len = ngx_de_namelen(&dir);
        name.data = ngx_de_name(&dir);

        if (name.data[0] == '.') {
            continue;
        }

        ngx_memzero(&file, sizeof(ngx_file_t));
        file.log = cf->log;
        file.name.len = path.len + 1 + name.len;
        file.name.data = ngx_pnalloc(cf->pool, file.name.len + 1);
        if (file.name.data == NULL) {
            break;
        }

        ngx_sprintf(file.name.data, "%V/%V%Z", &path, &name);

        file.fd = ngx_open_file(file.name.data, NGX_FILE_RDONLY,
                                NGX_FILE_OPEN, 0);
        if (file.fd == NGX_INVALID_FILE) {
            continue;
        }

        if (ngx_fd_info(file.fd, &file.info) == NGX_FILE_ERROR
            || !ngx_is_file(&file.info)
            || ngx_file_size(&file.info) > NGX_CSQ_PAGE_MAX)
        {
            ngx_close_file(file.fd);
            continue;
        }

        size = ngx_file_size(&file.info);
        buf = ngx_pnalloc(cf->pool, size + 1);

        n = buf ? ngx_read_file(&file, buf, size, 0) : NGX_ERROR;
        ngx_close_file(file.fd);

        if (n != (ssize_t) size) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"csq_pages_root\": cannot read \"%s\"",
                               file.name.data);
            ngx_close_dir(&dir);
            return NGX_CONF_ERROR;
        }

        /* replace the embedded file of this name, or add it */

        all = cmcf->page_files->elts;
        found = 0;

        for (i = 0; i < cmcf->page_files->nelts; i++) {
            if (all[i].name.len == name.len
                && ngx_strncmp(all[i].name.data, name.data, name.len) == 0)
            {
                found = 1;
                break;
            }
        }

        if (found) {
            a = &all[i];

        } else {
            a = ngx_array_push(cmcf->page_files);
            if (a == NULL) {
                break;
            }

            a->name.len = name.len;
            a->name.data = ngx_pstrdup(cf->pool, &name);
            ngx_csq_page_type(&name, &a->type);
        }

        a->data.data = buf;
        a->data.len = size;

        ngx_md5_init(&md5);
        ngx_md5_update(&md5, buf, size);
        ngx_md5_final(md, &md5);
        ngx_hex_dump(hex, md, 8);

        a->etag.len = 18;
        a->etag.data = ngx_pnalloc(cf->pool, 18);
        if (a->etag.data == NULL) {
            break;
        }

        a->etag.data[0] = '"';
        ngx_memcpy(a->etag.data + 1, hex, 16);
        a->etag.data[17] = '"';
    }

    ngx_close_dir(&dir);

    /* the end mark */

    a = ngx_array_push(cmcf->page_files);
    if (a == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(a, sizeof(ngx_csq_page_file_t));

    return NGX_CONF_OK;
}
