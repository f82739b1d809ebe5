/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_CORRELATE_HOSTS_H
#define IKELOGD_CORRELATE_HOSTS_H

#include <stdint.h>

/*
 * Each host's share of the IKE SA table: how many entries a host holds,
 * and its entries in least recently used order, so that a full table can
 * evict from the host that is over its share instead of from whoever is
 * oldest. Entries are the correlator's indexes 0..cap-1; hosts are its
 * 64-bit host hashes. Every operation is O(1) on average.
 */
struct host_share;

#define HOST_SHARE_NONE UINT32_MAX

/* For entries 0..cap-1. Returns 0 or -ENOMEM; *ret untouched on failure. */
int host_share_new(uint32_t cap, struct host_share **ret);
void host_share_free(struct host_share *h);

/* Entry i (not on any host's list) now belongs to host, as its most recent. */
void host_share_add(struct host_share *h, uint64_t host, uint32_t i);
/* Entry i of host was used: it becomes the host's most recent. */
void host_share_touch(struct host_share *h, uint64_t host, uint32_t i);
/* Entry i of host is the first to go (a deleted SA): the host's least recent. */
void host_share_back(struct host_share *h, uint64_t host, uint32_t i);
/* Entry i of host is forgotten. */
void host_share_remove(struct host_share *h, uint64_t host, uint32_t i);
/* How many entries host holds. */
uint32_t host_share_count(const struct host_share *h, uint64_t host);

/*
 * The entry to evict from a full table to make room for one of host, each
 * host allowed share entries: host's own least recent when it holds share
 * or more; else the least recent of the host holding the most when that
 * one is over share; else HOST_SHARE_NONE (evict the table's least recent).
 */
uint32_t host_share_victim(const struct host_share *h, uint64_t host, uint32_t share);

#endif
