// sftp_ls: lists a remote directory over SFTP, like ls -l, sorted by name.
//
//   sftp_ls [-a] [-n] [-i KEY] [-o KNOWN_HOSTS] [-p PORT] [USER@]HOST[:PORT] [PATH]
//
// By default each line is the server's own "long name" (readdir_ex's longentry, which
// OpenSSH formats as ls -l does); with -n, or when the server sends none, it is formatted
// here from the entry's attributes, with numeric user and group IDs as ls -n.
#include "common.hpp"

#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace {

std::string format(const std::string &name, const LIBSSH2_SFTP_ATTRIBUTES &attrs) {
    std::string mode = "----------";
    if (attrs.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) {
        const unsigned long p = attrs.permissions;
        mode[0] = LIBSSH2_SFTP_S_ISDIR(p) ? 'd' : LIBSSH2_SFTP_S_ISLNK(p) ? 'l' : LIBSSH2_SFTP_S_ISREG(p) ? '-' : '?';
        const char *rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; ++i)
            if (p & (0400u >> i)) mode[static_cast<size_t>(i + 1)] = rwx[i];
    }
    char when[32] = "?";
    if (attrs.flags & LIBSSH2_SFTP_ATTR_ACMODTIME) {
        const time_t mtime = static_cast<time_t>(attrs.mtime);
        tm local{};
        localtime_r(&mtime, &local);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", &local);
    }
    const bool ids = attrs.flags & LIBSSH2_SFTP_ATTR_UIDGID;
    char line[1024];
    std::snprintf(line, sizeof line, "%s %5s %5s %10llu %s %s", mode.c_str(), ids ? std::to_string(attrs.uid).c_str() : "?",
                  ids ? std::to_string(attrs.gid).c_str() : "?",
                  static_cast<unsigned long long>(attrs.flags & LIBSSH2_SFTP_ATTR_SIZE ? attrs.filesize : 0), when,
                  name.c_str());
    return line;
}

int list(example::target &t, bool all, bool numeric) {
    const std::string path = t.operands.empty() ? "." : t.operands[0];

    example::connection c(t);
    c.authenticate_with_key(t);
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    if (!sftp) c.fail("cannot start SFTP");
    libssh2::sftp_handle dir = sftp.opendir(path.c_str());
    if (!dir) c.fail("cannot open directory " + path, sftp);

    std::vector<std::pair<std::string, std::string>> entries;  // name, line
    char name[1024], longentry[2048];
    for (;;) {
        LIBSSH2_SFTP_ATTRIBUTES attrs{};
        const int n = dir.readdir_ex(name, sizeof name, longentry, sizeof longentry, &attrs);
        if (n == 0) break;
        if (n < 0) c.fail("reading directory " + path + " failed", sftp);
        const std::string entry(name, static_cast<size_t>(n));
        if (!all && entry[0] == '.') continue;
        entries.emplace_back(entry, numeric || !longentry[0] ? format(entry, attrs) : std::string(longentry));
    }
    std::sort(entries.begin(), entries.end());
    for (const auto &entry : entries) std::printf("%s\n", entry.second.c_str());
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    std::string all, numeric;
    const example::usage usage{
        "[PATH]",
        "Lists the remote directory PATH (default: the remote home directory) like ls -l,\n"
        "sorted by name.",
        0, 1,
        {{"-a", nullptr, "also list entries whose names start with '.'", &all},
         {"-n", nullptr, "format lines here, with numeric user and group IDs (as ls -n)", &numeric}}};
    return example::run(argc, argv, usage, [&](example::target &t) { return list(t, !all.empty(), !numeric.empty()); });
}
