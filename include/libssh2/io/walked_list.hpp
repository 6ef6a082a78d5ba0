// SPDX-License-Identifier: BSD-3-Clause
// The range behind libssh2::identities and libssh2::entries: a list libssh2 walks with
// get(&store, prev), which gives 0 and an entry, 1 at the end, or a negative error. Written
// once here; a Walk names the list:
//
//     struct Walk {
//         using owner = ...;         // the wrapper that holds the list (agent, knownhost)
//         using raw = ...;           // libssh2's entry struct
//         using value_type = ...;    // what the range gives: a copy of raw's fields and raw
//         static constexpr const char *what = "libssh2::...";  // names the range in errors
//         static int get(owner &, raw **store, raw *prev) noexcept;
//         static value_type make(raw *) ;
//     };
//
// An error while walking is thrown from the iterator's ++ (or begin()); with a
// std::error_code the range ends and the code says why (the error_code must outlive it).
// Iterators are forward iterators: the list stays as it is while nobody changes it. The range
// refers to the agent or knownhost object: keep it alive, and unmoved, while iterating.
#ifndef LIBSSH2_HPP_IO_WALKED_LIST
#define LIBSSH2_HPP_IO_WALKED_LIST

#include "failure.hpp"

#include <cstddef>
#include <iterator>
#include <system_error>

namespace libssh2::detail {

template <class Walk>
class walked_list {
public:
    class iterator;
    using owner = typename Walk::owner;
    using raw = typename Walk::raw;

    explicit walked_list(owner &list) noexcept : owner_(&list) {}
    walked_list(owner &list, std::error_code &ec) noexcept : owner_(&list), ec_(&ec) { ec.clear(); }

    iterator begin() { return iterator(this, after(nullptr)); }
    iterator end() noexcept { return iterator(this, nullptr); }

private:
    // The entry after previous (null: the first); null at the end or after an error (reported).
    raw *after(raw *previous) {
        raw *next = nullptr;
        const int rc = Walk::get(*owner_, &next, previous);
        if (rc == 0) return next;
        if (rc < 0) fail_session(io_session_of(*owner_), rc, Walk::what, ec_);
        return nullptr;
    }

    owner *owner_;
    std::error_code *ec_ = nullptr;
};

template <class Walk>
class walked_list<Walk>::iterator {
public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = typename Walk::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type *;
    using reference = const value_type &;

    iterator() = default;

    reference operator*() const noexcept { return value_; }
    pointer operator->() const noexcept { return &value_; }
    iterator &operator++() {
        set(list_->after(current_));
        return *this;
    }
    iterator operator++(int) {
        iterator old = *this;
        ++*this;
        return old;
    }

    friend bool operator==(const iterator &a, const iterator &b) noexcept { return a.current_ == b.current_; }
    friend bool operator!=(const iterator &a, const iterator &b) noexcept { return !(a == b); }

private:
    friend class walked_list;
    iterator(walked_list *list, raw *current) : list_(list) { set(current); }

    void set(raw *current) {
        current_ = current;
        value_ = current ? Walk::make(current) : value_type();
    }

    walked_list *list_ = nullptr;
    raw *current_ = nullptr;  // null: the end
    value_type value_{};
};

}  // namespace libssh2::detail

#endif  // LIBSSH2_HPP_IO_WALKED_LIST
