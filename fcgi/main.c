/* main.c: captionacc-fcgi: start-up and the FastCGI request loop (the routes are routes.c's). Runs under
 * spawn-fcgi: the listening socket is fd 0; each process serves one request at a time. */
#include "build-config.h"

#include "fcgi/answers.h"
#include "fcgi/handlers.h"
#include "fcgi/request.h"
#include "fcgi/routes.h"

#include "shared/log.h"
#include "shared/signature.h"
#include "shared/str.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	stopping = 1;
	FCGX_ShutdownPending();
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: captionacc-fcgi [--config FILE] [--check-config]\n"
	    "A FastCGI program: start it with spawn-fcgi (the listening socket is its fd 0), e.g.\n"
	    "  spawn-fcgi -s /run/captionacc/fcgi.sock -F 8 -P /run/captionacc/fcgi.pid -- "
	    "/usr/local/bin/captionacc-fcgi\n\n");
	config_usage(out, CONFIG_FCGI);
}

/* Command-line options: 0 go on, 1 or 2 exit with that status after --help/--version (0) or a bad option. */
static int
parse_args(int argc, char **argv, const char **config_path, bool *check_only, int *exit_status)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:khV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config_path = optarg;
			break;
		case 'k':
			*check_only = true;
			break;
		case 'h':
			usage(stdout);
			*exit_status = 0;
			return 1;
		case 'V':
			printf("captionacc-fcgi %s\n", PACKAGE_VERSION);
			*exit_status = 0;
			return 1;
		default:
			usage(stderr);
			*exit_status = 2;
			return 1;
		}
	}
	return 0;
}

/* Settings, log, database handle and intake path; everything that can be wrong in the settings is found
 * here, so --check-config sees it. -1 with the message printed. */
static int
start(struct app *app, const char *config_path)
{
	char err[1024];

	if (config_load(&app->cfg, config_path, CONFIG_FCGI, err, sizeof(err)) != 0) {
		fprintf(stderr, "captionacc-fcgi: %s\n", err);
		return -1;
	}
	if (log_setup("captionacc-fcgi", &app->cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "captionacc-fcgi: %s\n", err);
		return -1;
	}
	if (app->cfg.webhook_signing_secret != NULL && signature_sign(app->cfg.webhook_signing_secret, "check", "0", "",
	    0, err, sizeof(err)) != 0) {
		fprintf(stderr, "captionacc-fcgi: WEBHOOK_SIGNING_SECRET must be whsec_<base64 of %d to %d bytes>\n",
		    SIGNATURE_KEY_MIN, SIGNATURE_KEY_MAX);
		return -1;
	}
	if ((app->db = db_new(&app->cfg, "captionacc-fcgi")) == NULL) {
		fprintf(stderr, "captionacc-fcgi: out of memory\n");
		return -1;
	}
	if (intake_open(&app->intake, app->db, &app->cfg, app->cfg.tier_cache_seconds, err, sizeof(err)) != 0 ||
	    (app->tokens = token_verifier_new(&app->cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "captionacc-fcgi: %s\n", err);
		return -1;
	}
	return 0;
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term; /* no SA_RESTART: accept() returns so the loop can end */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* One request: dispatch, answer, log. */
static void
serve_one(struct app *app, FCGX_Request *fcgx, unsigned long seq)
{
	struct request req;
	struct response resp = { 0 };
	char allow[64];
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	request_init(&req, fcgx, seq);
	log_set_context(req.id);
	routes_dispatch(app, &req, &resp, allow, sizeof(allow));
	request_drain(&req);
	response_send(&req, &resp);
	answers_count(req.route, resp.status);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (resp.status >= 500)
		log_warn("%s %s -> %d", request_method_name(req.method), req.path, resp.status);
	else
		log_debug("%s %s -> %d in %.2f ms", request_method_name(req.method), req.path, resp.status,
		    (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	log_set_context(NULL);
	response_clear(&resp);
	request_clear(&req);
}

/* The FastCGI loop, until SIGTERM. -1 when fd 0 is not a FastCGI socket. */
static int
serve(struct app *app)
{
	FCGX_Request fcgx;
	unsigned long seq = 0;
	char err[1024];

	if (FCGX_Init() != 0 || FCGX_IsCGI()) {
		fprintf(stderr, "captionacc-fcgi: fd 0 is not a FastCGI listening socket; start it with spawn-fcgi "
		    "(see --help)\n");
		return -1;
	}
	if (db_connect(app->db, err, sizeof(err)) != DB_OK)
		log_warn("starting without a database connection (will retry per request): %s", err);
	catch_signals();
	FCGX_InitRequest(&fcgx, 0, 0);
	log_info("serving requests");
	for (;;) {
		answers_idle(app->db, &fcgx);
		if (stopping || FCGX_Accept_r(&fcgx) < 0)
			break;
		serve_one(app, &fcgx, ++seq);
		FCGX_Finish_r(&fcgx); /* frees the parameters the request pointed into: last */
		answers_flush(app->db, false); /* the client has its answer */
	}
	answers_flush(app->db, true);
	log_info("stopping");
	return 0;
}

int
main(int argc, char **argv)
{
	struct app app;
	const char *config_path = NULL;
	bool check_only = false;
	int rc = 1;

	memset(&app, 0, sizeof(app));
	if (parse_args(argc, argv, &config_path, &check_only, &rc) != 0)
		return rc;
	if (start(&app, config_path) == 0) {
		if (check_only) {
			printf("captionacc-fcgi: settings are valid\n");
			rc = 0;
		} else
			rc = serve(&app) == 0 ? 0 : 1;
	}
	token_verifier_free(app.tokens);
	intake_close(&app.intake);
	db_free(app.db);
	config_free(&app.cfg);
	return rc;
}
