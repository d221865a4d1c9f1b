
/*
 * Copyright (C) ngx_csq_module authors
 */


#ifndef _NGX_CSQ_PAGES_H_INCLUDED_
#define _NGX_CSQ_PAGES_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* a file of the pages folder (pages/), embedded by embed_pages.sh */
typedef struct {
    ngx_str_t    name;
    ngx_str_t    type;
    ngx_str_t    etag;       /* quoted */
    ngx_str_t    data;
} ngx_csq_page_file_t;


extern ngx_csq_page_file_t  ngx_csq_page_files[];


/* a page (tenant given) or another file of the pages folder */
ngx_int_t ngx_csq_page_handler(ngx_http_request_t *r, ngx_str_t *tenant,
    ngx_str_t *name);
char *ngx_csq_pages_root_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* _NGX_CSQ_PAGES_H_INCLUDED_ */
