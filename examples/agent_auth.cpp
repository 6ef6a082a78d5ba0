// agent_auth: authenticates with the keys of a running ssh-agent (SSH_AUTH_SOCK), trying
// each in turn, then runs a command (default: id -un) and exits with its exit status.
//
//   agent_auth [-o KNOWN_HOSTS] [-p PORT] [USER@]HOST[:PORT] [COMMAND [ARGS...]]
#include "common.hpp"

#include <cstdio>
#include <optional>
#include <string>

namespace {

int run_with_agent(example::target &t) {
    std::string command;
    for (const std::string &word : t.operands) command += (command.empty() ? "" : " ") + word;
    if (command.empty()) command = "id -un";

    example::connection c(t);
    libssh2::agent agent = libssh2::agent::init(c.session);
    if (!agent) c.fail("cannot create an agent client");
    if (agent.connect() != 0) c.fail("cannot connect to ssh-agent (is SSH_AUTH_SOCK set?)");
    if (agent.list_identities() != 0) c.fail("cannot list the agent's keys");

    // Each key in turn, until the server accepts one.
    std::string tried;
    std::optional<std::string> accepted;  // the comment of the key the server took
    for (const libssh2::agent_identity &identity : libssh2::identities(agent)) {
        if (agent.userauth(t.user, identity.raw) == 0) {
            accepted = identity.comment;
            break;
        }
        tried += (tried.empty() ? "" : ", ") + (identity.comment.empty() ? "(no comment)" : identity.comment);
    }
    if (!accepted) {
        throw example::error(tried.empty() ? "the agent has no keys (add one with ssh-add)"
                                           : "the server accepted none of the agent's keys (" + tried + ")");
    }
    std::fprintf(stderr, "authenticated as %s with the agent's key %s\n", t.user.c_str(), accepted->c_str());
    agent.disconnect();

    // Both streams at once (left unread, a full stderr would stall the command), then the exit
    // status once the server has closed the channel.
    const libssh2::command_result result = libssh2::run(c.session, command);
    std::fwrite(result.out.data(), 1, result.out.size(), stdout);
    std::fflush(stdout);
    std::fwrite(result.err.data(), 1, result.err.size(), stderr);
    if (!result.exit_signal.empty())
        throw example::error("the remote command was killed by signal " + result.exit_signal);
    return result.exit_status;
}

}  // namespace

int main(int argc, char **argv) {
    example::usage usage{
        "[COMMAND [ARGS...]]",
        "Authenticates with the keys of the ssh-agent at SSH_AUTH_SOCK, then runs COMMAND\n"
        "(default: id -un) and exits with its exit status (255 if ssh itself fails).",
        0, -1};
    usage.key_option = false;
    return example::run(argc, argv, usage, run_with_agent, 255);
}
