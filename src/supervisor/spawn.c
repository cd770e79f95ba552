/*
 * Spawning pods: validate the request completely, then create the pod's
 * directory and start its runtime (launch.c) with the control channel
 * on WIRE_POD_FD and nothing else inherited.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "supervisor.h"


/* Limits must be sane; only root may raise one above our hard limit (the
 * runtime runs as root and could). */
static int
spawn_validate_limits(struct client *c, struct msg_spawn *m,
    const char **code, char *cause, size_t len)
{
	struct rlimit	 rl;
	int64_t		 v;
	int		 i;

	for (i = 0; i < WIRE_NLIMITS; i++) {
		if ((v = m->spec.limits[i]) == WIRE_NONE)
			continue;
		if (v < 0)
			return (snprintf(cause, len, "invalid limit %s=%" PRId64
			    ": must not be negative", limit_defs[i].name, v),
			    -1);
		if (c->uid == 0 || getrlimit(limit_defs[i].resource, &rl) == -1 ||
		    rl.rlim_max == RLIM_INFINITY || (uint64_t)v <= rl.rlim_max)
			continue;
		*code = ERR_DENIED;
		return (snprintf(cause, len, "permission denied: limit %s=%"
		    PRId64 " is above the hard limit %llu, which only root may "
		    "raise", limit_defs[i].name, v,
		    (unsigned long long)rl.rlim_max), -1);
	}
	return (0);
}

/* Is an optional duration negative (WIRE_NONE is "not given")? */
static bool
spawn_negative(int64_t ms)
{
	return (ms != WIRE_NONE && ms < 0);
}

/* A command, or an HTTP request (checked as podctl checks it), not
 * both. */
static int
spawn_validate_workload(struct msg_spawn *m, char *cause, size_t len)
{
	bool	 cmd = m->argv != NULL && m->argv[0] != NULL;

	if (m->http.url == NULL && (m->http.method != NULL ||
	    m->http.headers != NULL || m->http.body.len > 0 ||
	    m->http.on_cancel != NULL))
		return (snprintf(cause, len, "http_method, http_headers, "
		    "http_body and http_on_cancel need http_url"), -1);
	if (m->http.url == NULL && !cmd)
		return (snprintf(cause, len, "spawn: missing required field "
		    "'argv'"), -1);
	if (m->http.url != NULL && m->argv != NULL)
		return (snprintf(cause, len, "an HTTP pod (http_url) takes no "
		    "argv"), -1);
	if (m->http.url != NULL)
		return (http_check_request(&m->http, cause, len));
	return (0);
}

/* A restart policy, its bounds, and a workload that can run again (an
 * HTTP pod's request is not kept, so it cannot). */
static int
spawn_validate_restart(struct msg_spawn *m, char *cause, size_t len)
{
	int	p;

	if ((p = restart_policy_from_name(m->restart)) == -1)
		return (snprintf(cause, len, "restart must be no, on-failure "
		    "or always, not %s", m->restart), -1);
	if (m->spec.max_restarts != WIRE_NONE && (m->spec.max_restarts < 0 ||
	    m->spec.max_restarts > INT32_MAX))
		return (snprintf(cause, len, "max_restarts must be 0 to %d",
		    INT32_MAX), -1);
	if (m->spec.restart_delay_ms != WIRE_NONE &&
	    (m->spec.restart_delay_ms < 1 ||
	    m->spec.restart_delay_ms > RESTART_DELAY_MAX))
		return (snprintf(cause, len, "restart_delay_ms must be 1 to %d "
		    "(a day)", RESTART_DELAY_MAX), -1);
	if (p != RESTART_NO && m->http.url != NULL)
		return (snprintf(cause, len, "an HTTP pod cannot be restarted "
		    "(its request is not kept): use restart no"), -1);
	return (0);
}

/* Check a spawn request before anything is created. */
static int
spawn_validate(struct client *c, struct msg_spawn *m, struct pod **parent,
    const char **code, char *cause, size_t len)
{
	size_t	i;

	*parent = NULL;
	if (spawn_validate_workload(m, cause, len) == -1)
		return (-1);
	if (m->cwd[0] != '/')
		return (snprintf(cause, len, "cwd must be absolute: %s", m->cwd),
		    -1);
	if (m->name != NULL && parse_pod_name(m->name, cause, len) == -1)
		return (-1);
	if (m->name != NULL && podtab_live_name(m->name) != NULL) {
		*code = ERR_FAILED;
		return (snprintf(cause, len, "a live pod is already called %s",
		    m->name), -1);
	}
	if (spawn_negative(m->spec.cancel_grace_ms) ||
	    spawn_negative(m->spec.term_grace_ms) ||
	    spawn_negative(m->spec.timeout_ms) ||
	    spawn_negative(m->spec.heartbeat_ms) ||
	    spawn_negative(m->spec.max_extend_ms))
		return (snprintf(cause, len, "durations must not be negative"),
		    -1);
	if (m->spec.stop_signal != WIRE_NONE &&
	    (m->spec.stop_signal < 1 || m->spec.stop_signal >= NSIG))
		return (snprintf(cause, len, "invalid stop signal %" PRId64,
		    m->spec.stop_signal), -1);
	if (m->on_parent_exit != NULL && strcmp(m->on_parent_exit, "stop") &&
	    strcmp(m->on_parent_exit, "orphan"))
		return (snprintf(cause, len, "on_parent_exit must be stop or "
		    "orphan, not %s", m->on_parent_exit), -1);
	for (i = 0; m->env != NULL && m->env[i] != NULL; i++) {
		if (strchr(m->env[i], '=') == NULL || m->env[i][0] == '=')
			return (snprintf(cause, len, "invalid environment "
			    "entry '%s': use K=V", m->env[i]), -1);
	}
	if (spawn_validate_restart(m, cause, len) == -1)
		return (-1);
	if (spawn_validate_limits(c, m, code, cause, len) == -1)
		return (-1);
	if (m->parent != NULL) {
		*code = ERR_NOTFOUND;
		if ((*parent = podtab_resolve(m->parent)) == NULL)
			return (snprintf(cause, len, "no such parent pod: %s",
			    m->parent), -1);
		*code = ERR_FAILED;
		if ((*parent)->state != POD_STARTING &&
		    (*parent)->state != POD_RUNNING)
			return (snprintf(cause, len, "parent pod %" PRIu64
			    " is %s", (*parent)->id,
			    pod_state_name((*parent)->state)), -1);
	}
	return (0);
}

/* Start the runtime with chan on WIRE_POD_FD (launch.c); returns its
 * pid.  An HTTP pod's is podvisor-pod-http, beside podvisor-pod. */
static pid_t
spawn_runtime(int chan, bool http, char *cause, size_t len)
{
	char		 path[PATH_MAX + 8];
	char		*argv[10] = { "podvisor-pod", "--log-level",
			    (char *)sv.log_level };
	const char	*fault = getenv("PODVISOR_FAULT");
	char		*envp[] = { NULL };
	/* libcurl (OpenSSL's) loads GnuTLS only as a dependency of its
	 * rtmp and ldap code, which an HTTP pod never runs; without this
	 * GnuTLS's constructor would still set itself up (its ASN.1
	 * trees, p11-kit): 124 KiB in each pod, by bench/httppods.sh.  A
	 * libcurl built on GnuTLS initialises it in curl_global_init. */
	char		*http_envp[] = { "GNUTLS_NO_IMPLICIT_INIT=1", NULL };
	pid_t		 pid;
	int		 rc, argc = 3;

	if (sv.log_map_size != NULL) {
		argv[argc++] = "--map-size";
		argv[argc++] = (char *)sv.log_map_size;
	}
	if (sv.log_syslog)
		argv[argc++] = "--syslog";
	if (fault != NULL && strncmp(fault, "linger:", 7) == 0) {
		/* Test hook: each runtime tears down that many ms late. */
		argv[argc++] = "--linger";
		argv[argc++] = (char *)fault + 7;
	}
	snprintf(path, sizeof path, "%s%s", sv.runtime_path, http ? "-http" :
	    "");
	if ((rc = launch_runtime(&pid, path, chan, argv, http ? http_envp :
	    envp)) != 0) {
		snprintf(cause, len, "cannot start the pod runtime %s: %s",
		    path, strerror(rc));
		return (-1);
	}
	return (pid);
}

/* An HTTP pod shows "METHOD URL" as its command, secrets redacted; it
 * keeps no more of its request than that. */
static void
spawn_http_pod(struct pod *pod, const struct wire_http *r)
{
	pod->http_url = http_redact_url(r->url);
	pod->http_method = xstrdup(http_method_of(r));
	pod->http_on_cancel = xstrdup(r->on_cancel != NULL ? r->on_cancel :
	    "finish");
	pod->argv = xcalloc(3, sizeof *pod->argv);
	pod->argv[0] = xstrdup(pod->http_method);
	pod->argv[1] = xstrdup(pod->http_url);
}

/* Fill a new pod from the request. */
static struct pod *
spawn_make_pod(struct client *c, struct msg_spawn *m, struct pod *parent)
{
	struct pod	*pod;
	struct identity	 id;

	pod = pod_new(registry_next_id());
	pod->name = m->name ? xstrdup(m->name) : NULL;
	if (m->http.url != NULL)
		spawn_http_pod(pod, &m->http);
	else
		pod->argv = xstrvdup(m->argv);
	pod->cwd = xstrdup(m->cwd);
	/* A daemon that cannot switch users owns (and runs) every pod. */
	pod->owner = sv.uid == 0 ? c->uid : sv.uid;
	pod->log_max = sv.log_max;
	/* What was asked, with the daemon's defaults for what was not. */
	pod->spec = m->spec;
	if (pod->spec.cancel_grace_ms == WIRE_NONE)
		pod->spec.cancel_grace_ms = sv.cancel_grace_ms;
	if (pod->spec.term_grace_ms == WIRE_NONE)
		pod->spec.term_grace_ms = sv.term_grace_ms;
	if (pod->spec.stop_signal == WIRE_NONE)
		pod->spec.stop_signal = SIGINT;
	if (pod->spec.timeout_ms <= 0)
		pod->spec.timeout_ms = WIRE_NONE;
	if (pod->spec.max_restarts == WIRE_NONE)
		pod->spec.max_restarts = RESTART_MAX_DEFAULT;
	if (pod->spec.restart_delay_ms == WIRE_NONE)
		pod->spec.restart_delay_ms = RESTART_DELAY_DEFAULT;
	pod->restart = restart_policy_from_name(m->restart);
	pod->orphan_on_parent_exit = m->on_parent_exit != NULL &&
	    strcmp(m->on_parent_exit, "orphan") == 0;
	pod_set_state(pod, POD_STARTING);
	pod->created_at = now_ns();
	pod->gid = c->gid;
	pod_set_parent(pod, parent);
	identity_lookup(&id, pod->owner, pod->gid);
	pod->env = workload_env(&id, m->env, m->inherit_env, pod->id);
	identity_free(&id);
	return (pod);
}

/* Send the runtime its start message: what to run, as whom, with which
 * limits. */
static void
spawn_send_start(struct pod *pod, const struct wire_http *http)
{
	struct msg	 msg;
	struct msg_start *s = &msg.u.start;
	struct identity	 id;
	char		 dir[PATH_MAX];

	pod_dir(pod->id, dir, sizeof dir);
	identity_lookup(&id, pod->owner, pod->gid);
	msg_init(&msg, MSG_START);
	s->id = pod->id;
	s->argv = pod->argv;
	s->env = pod->env;
	s->cwd = pod->cwd;
	s->dir = (char *)dir;
	s->stop_signal = pod->spec.stop_signal;
	s->cancel_grace_ms = pod->spec.cancel_grace_ms;
	s->term_grace_ms = pod->spec.term_grace_ms;
	s->uid = id.uid;
	s->gid = id.gid;
	s->groups.v = id.groups;
	s->groups.n = id.ngroups;
	memcpy(s->limits, pod->spec.limits, sizeof s->limits);
	s->nofile_soft = sv.nofile_soft;
	s->log_max = pod->log_max;
	s->name = pod->name;
	s->parent = pod->parent != NULL ? (int64_t)pod->parent->id : WIRE_NONE;
	if (pod->spec.timeout_ms > 0)
		s->timeout_at = pod->created_at + pod->spec.timeout_ms * 1000000;
	if (http != NULL)
		s->http = *http;	/* passed on whole, secrets included */
	peer_send(pod->peer, &msg);
	identity_free(&id);
}

/* Start the pod's runtime on a new channel; the directory exists. */
static int
spawn_runtime_start(struct pod *pod, char *cause, size_t len)
{
	char	 label[64];
	int	 sp[2];
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		snprintf(cause, len, "cannot create a socketpair: %s",
		    strerror(errno));
		return (-1);
	}
	if ((pid = spawn_runtime(sp[1], pod->http_url != NULL, cause,
	    len)) == -1) {
		close(sp[0]);
		close(sp[1]);
		return (-1);
	}
	pod_set_runtime_pid(pod, pid);
	close(sp[1]);
	snprintf(label, sizeof label, "pod %" PRIu64, pod->id);
	pod->peer = peer_new(sv.base, sp[0], sv_dispatch_pod, pod, label);
	return (0);
}

/* A restarting pod's next run: a new runtime on the same pod, with what
 * the first run was started with. */
int
spawn_relaunch(struct pod *pod, char *cause, size_t len)
{
	if (spawn_runtime_start(pod, cause, len) == -1)
		return (-1);
	spawn_send_start(pod, NULL);
	return (0);
}

/* Create the directory and the runtime; undo everything on failure. */
static int
spawn_launch(struct pod *pod, struct msg_spawn *m, char *cause, size_t len)
{
	char	 dir[PATH_MAX];

	pod_dir(pod->id, dir, sizeof dir);
	if (mkdir(dir, 0700) == -1) {
		snprintf(cause, len, "cannot create %s: %s", dir,
		    strerror(errno));
		return (-1);
	}
	if (spawn_runtime_start(pod, cause, len) == -1) {
		rmdir(dir);
		return (-1);
	}
	spawn_send_start(pod, &m->http);
	/* Only a pod that may run again keeps its environment. */
	if (pod->restart == RESTART_NO) {
		strv_free(pod->env);
		pod->env = NULL;
	}
	return (0);
}

/* Handle a client's spawn request: reply ok{id} or an error. */
void
spawn_request(struct client *c, struct msg_spawn *m)
{
	struct pod	*parent, *pod;
	struct msg	 reply;
	const char	*code = ERR_USAGE;
	char		 cause[512];

	if (sv.shutting_down) {
		client_reply_error(c, ERR_FAILED, "podvisord is shutting down");
		return;
	}
	if (podtab_live_count() >= sv.max_pods) {
		client_reply_error(c, ERR_LIMIT, "too many pods: %zu are live "
		    "and --max-pods is %u", podtab_live_count(), sv.max_pods);
		return;
	}
	if (spawn_validate(c, m, &parent, &code, cause, sizeof cause) == -1) {
		client_reply_error(c, code, "%s", cause);
		return;
	}
	if (access_check_spawn(c, parent) == -1)
		return;
	pod = spawn_make_pod(c, m, parent);
	if (spawn_launch(pod, m, cause, sizeof cause) == -1) {
		pod_set_parent(pod, NULL);
		pod_free(pod);
		client_reply_error(c, ERR_FAILED, "%s", cause);
		return;
	}
	podtab_insert(pod);
	registry_touch(pod);
	pod_arm_timeout(pod);
	log_debug("pod %" PRIu64 ": spawned runtime %d", pod->id,
	    (int)pod->runtime_pid);
	if (parent != NULL)
		journal(parent, LOG_CHILD, "spawned pod %" PRIu64 "%s%s: %s",
		    pod->id, pod->name ? " " : "", pod->name ? pod->name : "",
		    pod->http_url != NULL ? pod->http_url : pod->argv[0]);
	api_child_event(pod, "spawned");
	metrics_spawned();
	c->spawned = pod->id;
	msg_init(&reply, MSG_OK);
	reply.u.ok.id = pod->id;
	client_send(c, &reply);
}
