// sftp_ls: lists a remote directory over SFTP, like ls -l, sorted by name.
//
//   sftp_ls [-a] [-n] [-i KEY] [-o KNOWN_HOSTS] [-p PORT] [USER@]HOST[:PORT] [PATH]
//
// By default each line is the server's own "long name" (readdir_ex's longentry, which
// OpenSSH formats as ls -l does); with -n, or when the server sends none, it is formatted
// here from the entry's attributes, with numeric user and group IDs as ls -n.
#include "common.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

std::string format(const libssh2::directory_entry &entry) {
    const libssh2::file_attributes &a = entry.attributes;
    std::string mode = "----------";
    if (a.permissions) {
        mode[0] = a.is_directory() ? 'd' : a.is_symlink() ? 'l' : a.is_regular() ? '-' : '?';
        const char *rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; ++i)
            if (*a.permissions & (0400u >> i)) mode[static_cast<size_t>(i + 1)] = rwx[i];
    }
    char when[32] = "?";
    if (a.mtime) {
        const time_t mtime = std::chrono::system_clock::to_time_t(*a.mtime);
        tm local{};
        localtime_r(&mtime, &local);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", &local);
    }
    const auto id = [](const std::optional<std::uint32_t> &value) { return value ? std::to_string(*value) : "?"; };
    char line[1024];
    std::snprintf(line, sizeof line, "%s %5s %5s %10llu %s %s", mode.c_str(), id(a.uid).c_str(), id(a.gid).c_str(),
                  static_cast<unsigned long long>(a.size.value_or(0)), when, entry.name.c_str());
    return line;
}

int list(example::target &t, bool all, bool numeric) {
    const std::string path = t.operands.empty() ? "." : t.operands[0];

    example::connection c(t);
    c.authenticate_with_key(t);
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    if (!sftp) c.fail("cannot start SFTP");
    std::error_code ec;
    libssh2::directory directory(sftp, path, ec);
    if (ec) throw example::error("cannot open directory " + path + ": " + ec.message());

    std::vector<std::pair<std::string, std::string>> entries;  // name, line
    for (const libssh2::directory_entry &entry : directory) {
        if (!all && entry.name[0] == '.') continue;
        entries.emplace_back(entry.name, numeric || entry.long_entry.empty() ? format(entry) : entry.long_entry);
    }
    if (ec) throw example::error("reading directory " + path + " failed: " + ec.message());
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
