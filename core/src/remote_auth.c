/*
 * Credentials for remotes, asked for by libgit2 while it connects. Nothing here ever
 * prompts: sync runs from cron and timers. ssh:// uses remote.NAME.sshKey when set,
 * otherwise the ssh-agent; http(s):// asks git's credential helpers (`git credential
 * fill` with GIT_TERMINAL_PROMPT=0), so whatever helper the operator set up for git
 * serves sanctum too. Each kind is tried once: a refused credential fails the
 * connection instead of looping.
 */
#include "sync_internal.h"

#include "errors_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

extern char **environ;

#define HELPER_MAX_OUTPUT 8192

/* Runs `git credential fill` with `request` on its stdin; its stdout into `out`. */
static int run_helper(char *out, size_t cap, const char *request)
{
	char *argv[] = { "git", "credential", "fill", NULL };
	char *env[] = { "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=", NULL };
	posix_spawn_file_actions_t actions;
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, status = 0;
	size_t used = 0;
	pid_t pid;
	ssize_t n;
	char **merged;
	size_t nenv = 0;

	for (char **e = environ; *e; e++)
		nenv++;
	if (!(merged = calloc(nenv + 4, sizeof(*merged))))
		return -1;
	for (size_t i = 0; i < 3; i++)
		merged[i] = env[i];
	for (size_t i = 0, j = 3; i < nenv; i++)
		if (strncmp(environ[i], "GIT_TERMINAL_PROMPT=", 20) != 0 &&
		    strncmp(environ[i], "GIT_ASKPASS=", 12) != 0 &&
		    strncmp(environ[i], "SSH_ASKPASS=", 12) != 0)
			merged[j++] = environ[i];
	if (pipe(in) < 0 || pipe(outp) < 0) {
		/* The first pipe may have been made: its ends go too. */
		if (in[0] >= 0) {
			close(in[0]);
			close(in[1]);
		}
		free(merged);
		return -1;
	}
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, in[0], 0);
	posix_spawn_file_actions_adddup2(&actions, outp[1], 1);
	posix_spawn_file_actions_addclose(&actions, in[1]);
	posix_spawn_file_actions_addclose(&actions, outp[0]);
	/* git's own complaint ("terminal prompts disabled") would only confuse: ours says
	 * what to do. */
	posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
	status = posix_spawnp(&pid, "git", &actions, NULL, argv, merged);
	posix_spawn_file_actions_destroy(&actions);
	free(merged);
	close(in[0]);
	close(outp[1]);
	if (status != 0) {
		close(in[1]);
		close(outp[0]);
		return -1;
	}
	/* The request is small (a URL): it fits the pipe, so this write cannot block. */
	if (write(in[1], request, strlen(request)) < 0)
		used = 0;
	close(in[1]);
	while (used + 1 < cap && (n = read(outp[0], out + used, cap - used - 1)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	close(outp[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The value of "key=" in the helper's answer, copied into `out`. */
static int answer_value(char *out, size_t cap, const char *answer, const char *key)
{
	size_t klen = strlen(key);

	for (const char *line = answer; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
			const char *v = line + klen + 1;
			size_t n = strcspn(v, "\n");

			if (n >= cap)
				return -1;
			memcpy(out, v, n);
			out[n] = '\0';
			return 0;
		}
	}
	return -1;
}

static int from_helper(git_credential **out, const char *url, sanctum_transfer *t)
{
	char request[4200], answer[HELPER_MAX_OUTPUT], user[512], pass[2048];
	int error = -1;

	t->helper_tried = 1;
	if ((size_t)snprintf(request, sizeof(request), "url=%s\n\n", url) >= sizeof(request)) {
		git_error_set_str(GIT_ERROR_HTTP, "the address is too long for git's credential helpers");
		return GIT_EAUTH;
	}
	if (run_helper(answer, sizeof(answer), request) == 0 &&
	    answer_value(user, sizeof(user), answer, "username") == 0 &&
	    answer_value(pass, sizeof(pass), answer, "password") == 0)
		error = git_credential_userpass_plaintext_new(out, user, pass);
	sodium_memzero(answer, sizeof(answer));
	sodium_memzero(pass, sizeof(pass));
	if (error == 0)
		return 0;
	git_error_set_str(GIT_ERROR_HTTP, "git's credential helpers have no user name and "
	                  "password for this address");
	return GIT_EAUTH;
}

int sanctum_transfer__credentials(git_credential **out, const char *url,
                                  const char *username_from_url, unsigned int allowed,
                                  void *payload)
{
	sanctum_transfer *t = payload;
	const char *user = username_from_url && *username_from_url ? username_from_url : "git";

	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && t->ssh_key && t->ssh_tries++ == 0)
		return git_credential_ssh_key_new(out, user, NULL, t->ssh_key, NULL);
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !t->ssh_key && !t->agent_tried++)
		return git_credential_ssh_key_from_agent(out, user);
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && !t->helper_tried)
		return from_helper(out, url, t);
	git_error_set_str(GIT_ERROR_NET, "authentication failed");
	return GIT_EAUTH;
}
