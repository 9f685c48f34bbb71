/*
 * fake_sdk.c — a test double of Tencent's WeCom chat-archive SDK (libWeWorkFinanceSdk_C.so).
 *
 * It exports the SDK's C ABI exactly as documented (../shared/reference/ingest-formats.md, A.1–A.5):
 * the same function names, argument types, struct layouts and error codes, so that koffi loads it
 * exactly as it would load Tencent's library. Written by us from those signatures; no Tencent code.
 *
 * What it serves comes from a scenario directory written by test/support/wecom-sdk/scenario.ts:
 *   - Init(sdk, corpid, secret): when corpid is "fake:<dir>" the scenario is <dir>/scenario.txt;
 *     otherwise the directory named by the environment variable WECOM_FAKE_DIR. Read once, at Init.
 *   - scenario.txt is line based (tokens separated by single spaces, '#' starts a comment line):
 *       config chunk_size <bytes>            GetMediaData chunk size (default 524288, like the SDK)
 *       config secret <secret>               Init returns 10000 when called with another secret
 *       config proxy <url> <user:pass|->     calls with another proxy/password return 10001
 *       config expired_before <seq>          GetChatData(seq < this) returns 10010 (past retention)
 *       config latency_ms <ms>               GetChatData/GetMediaData sleep first (a slow network)
 *       item <seq> <msgid> <publickey_ver> <encrypt_random_key> <encrypt_chat_msg>
 *       media <sdkfileid> <file name inside the scenario directory>
 *       fail chat <seq> <code> <times>       GetChatData(seq) returns <code> the first <times> calls
 *       fail chatjson <seq> <code> <times>   same, but returns 0 with {"errcode":<code>} in the JSON
 *       fail media <sdkfileid> <offset> <code> <times>
 *       corrupt media <sdkfileid> <offset> <times>   the chunk at <offset> comes back with wrong bytes
 *     <times> = 0 means "every time". A bad line makes Init fail (10000) and prints the reason on
 *     stderr, so a broken fixture is never mistaken for an SDK behaviour.
 *
 * DecryptData: the real algorithm is opaque (not publicly documented). This double uses its OWN
 * scheme, which the TS fixture builder mirrors:
 *   encrypt_chat_msg = base64( ("WKFAKE1\n" || message JSON) XOR keystream ),
 *   keystream block i = SHA-256( random_key || uint32_be(i) ), 32 bytes per block.
 * The 8-byte magic lets the double answer 10006 (decrypt failed) to a wrong random key, as the
 * real SDK does, instead of returning garbage.
 *
 * The media index buffer is the decimal byte offset of the next chunk ("" for the first call).
 *
 * Thread safety: koffi runs async calls on worker threads, so the only mutable state (fault
 * counters) is guarded by a mutex and the allocation counter is atomic. The scenario itself is
 * immutable after Init.
 *
 * Test-only export (not part of Tencent's ABI): FakeSdk_LiveAllocations() counts the objects the
 * caller owns and must release (sdk handles, slices, media data and their buffers), so a test can
 * prove the client frees everything.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- The SDK's public types (layouts as in WeWorkFinanceSdk_C.h) ---- */

typedef struct Slice_t {
    char *buf;
    int len;
} Slice_t;

typedef struct MediaData {
    char *outindexbuf;
    int out_len;
    char *data;
    int data_len;
    int is_finish;
} MediaData_t;

typedef struct WeWorkFinanceSdk_t WeWorkFinanceSdk_t;

enum {
    SDK_OK = 0,
    SDK_BAD_PARAMS = 10000,
    SDK_NETWORK = 10001,
    SDK_PARSE = 10002,
    SDK_SYSTEM = 10003,
    SDK_BAD_FILEID = 10005,
    SDK_DECRYPT_FAILED = 10006,
    SDK_EXPIRED = 10010
};

#define DEFAULT_CHUNK_SIZE 524288u
#define MAX_LIMIT 1000u
static const char MAGIC[8] = {'W', 'K', 'F', 'A', 'K', 'E', '1', '\n'};

/* ---- Allocation accounting for caller-owned objects ---- */

static long live_allocations = 0;

static void *owned_calloc(size_t n, size_t size) {
    void *p = calloc(n, size);
    if (p) __atomic_add_fetch(&live_allocations, 1, __ATOMIC_RELAXED);
    return p;
}

static void owned_free(void *p) {
    if (!p) return;
    free(p);
    __atomic_sub_fetch(&live_allocations, 1, __ATOMIC_RELAXED);
}

long FakeSdk_LiveAllocations(void) { return __atomic_load_n(&live_allocations, __ATOMIC_RELAXED); }

/* ---- SHA-256 (FIPS 180-4), written for this double ---- */

typedef struct {
    uint32_t state[8];
    uint64_t total_len;
    uint8_t block[64];
    size_t block_fill;
} sha256_ctx;

static const uint32_t SHA256_K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

static uint32_t rotr32(uint32_t x, unsigned n) { return (x >> n) | (x << (32u - n)); }

static void sha256_init(sha256_ctx *c) {
    static const uint32_t initial[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                        0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
    memcpy(c->state, initial, sizeof initial);
    c->total_len = 0;
    c->block_fill = 0;
}

static void sha256_compress(sha256_ctx *c, const uint8_t *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = ((uint32_t)p[4 * i] << 24) | ((uint32_t)p[4 * i + 1] << 16) | ((uint32_t)p[4 * i + 2] << 8) | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotr32(w[i - 15], 7) ^ rotr32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr32(w[i - 2], 17) ^ rotr32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = c->state[0], b = c->state[1], cc = c->state[2], d = c->state[3];
    uint32_t e = c->state[4], f = c->state[5], g = c->state[6], h = c->state[7];
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = h + S1 + ch + SHA256_K[i] + w[i];
        uint32_t S0 = rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22);
        uint32_t maj = (a & b) ^ (a & cc) ^ (b & cc);
        uint32_t t2 = S0 + maj;
        h = g; g = f; f = e; e = d + t1;
        d = cc; cc = b; b = a; a = t1 + t2;
    }
    c->state[0] += a; c->state[1] += b; c->state[2] += cc; c->state[3] += d;
    c->state[4] += e; c->state[5] += f; c->state[6] += g; c->state[7] += h;
}

static void sha256_update(sha256_ctx *c, const uint8_t *data, size_t len) {
    c->total_len += len;
    while (len > 0) {
        size_t take = 64 - c->block_fill;
        if (take > len) take = len;
        memcpy(c->block + c->block_fill, data, take);
        c->block_fill += take;
        data += take;
        len -= take;
        if (c->block_fill == 64) {
            sha256_compress(c, c->block);
            c->block_fill = 0;
        }
    }
}

static void sha256_final(sha256_ctx *c, uint8_t out[32]) {
    uint64_t bit_len = c->total_len * 8u;
    uint8_t pad = 0x80;
    sha256_update(c, &pad, 1);
    uint8_t zero = 0;
    while (c->block_fill != 56) sha256_update(c, &zero, 1);
    uint8_t len_be[8];
    for (int i = 0; i < 8; i++) len_be[i] = (uint8_t)(bit_len >> (56 - 8 * i));
    sha256_update(c, len_be, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->state[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->state[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->state[i];
    }
}

/* XOR data in place with the keystream SHA-256(key || uint32_be(block index)). */
static void apply_keystream(const char *key, uint8_t *data, size_t len) {
    size_t key_len = strlen(key);
    uint8_t block[32];
    for (size_t offset = 0; offset < len; offset += 32) {
        uint32_t index = (uint32_t)(offset / 32);
        uint8_t index_be[4] = {(uint8_t)(index >> 24), (uint8_t)(index >> 16), (uint8_t)(index >> 8), (uint8_t)index};
        sha256_ctx c;
        sha256_init(&c);
        sha256_update(&c, (const uint8_t *)key, key_len);
        sha256_update(&c, index_be, 4);
        sha256_final(&c, block);
        for (size_t i = 0; i < 32 && offset + i < len; i++) data[offset + i] ^= block[i];
    }
}

/* ---- Base64 (RFC 4648, standard alphabet, padding required) ---- */

static int base64_value(unsigned char ch) {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

/* Returns a malloc'd buffer (caller frees) or NULL when the text is not canonical base64. */
static uint8_t *base64_decode(const char *text, size_t *out_len) {
    size_t len = strlen(text);
    if (len % 4 != 0) return NULL;
    size_t padding = 0;
    if (len >= 1 && text[len - 1] == '=') padding++;
    if (len >= 2 && text[len - 2] == '=') padding++;
    uint8_t *out = malloc(len / 4 * 3 + 1);
    if (!out) return NULL;
    size_t written = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        for (int j = 0; j < 4; j++) {
            unsigned char ch = (unsigned char)text[i + j];
            int is_padding_slot = (i + 4 == len) && (j >= 4 - (int)padding);
            v[j] = is_padding_slot ? 0 : base64_value(ch);
            if (v[j] < 0) { free(out); return NULL; }
        }
        uint32_t triple = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) | (uint32_t)v[3];
        out[written++] = (uint8_t)(triple >> 16);
        out[written++] = (uint8_t)(triple >> 8);
        out[written++] = (uint8_t)triple;
    }
    *out_len = written - padding;
    return out;
}

/* ---- Scenario ---- */

typedef struct {
    unsigned long long seq;
    const char *msgid;
    long publickey_ver;
    const char *encrypt_random_key;
    const char *encrypt_chat_msg;
} chat_item;

typedef struct {
    const char *sdkfileid;
    uint8_t *data;
    size_t len;
} media_file;

typedef enum { FAULT_CHAT, FAULT_CHAT_JSON, FAULT_MEDIA, FAULT_CORRUPT } fault_kind;

typedef struct {
    fault_kind kind;
    unsigned long long seq;   /* FAULT_CHAT, FAULT_CHAT_JSON */
    const char *sdkfileid;    /* FAULT_MEDIA, FAULT_CORRUPT */
    unsigned long long offset;
    int code;
    long times;               /* 0 = always */
    long used;                /* guarded by the sdk mutex */
} fault;

struct WeWorkFinanceSdk_t {
    int initialized;
    char *text; /* scenario.txt; every token below points into it */
    chat_item *items;
    size_t item_count;
    media_file *media;
    size_t media_count;
    fault *faults;
    size_t fault_count;
    size_t chunk_size;
    const char *secret;
    const char *proxy;
    const char *proxy_password;
    int has_expiry;
    unsigned long long expired_before;
    long latency_ms;
    pthread_mutex_t mutex;
};

static void scenario_free(WeWorkFinanceSdk_t *sdk) {
    for (size_t i = 0; i < sdk->media_count; i++) free(sdk->media[i].data);
    free(sdk->media);
    free(sdk->items);
    free(sdk->faults);
    free(sdk->text);
    sdk->text = NULL;
    sdk->items = NULL;
    sdk->media = NULL;
    sdk->faults = NULL;
    sdk->item_count = sdk->media_count = sdk->fault_count = 0;
    sdk->chunk_size = DEFAULT_CHUNK_SIZE;
    sdk->secret = sdk->proxy = sdk->proxy_password = NULL;
    sdk->has_expiry = 0;
    sdk->latency_ms = 0;
    sdk->initialized = 0;
}

static char *read_whole_file(const char *path, size_t *out_len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len < cap) break;
        cap *= 2;
        char *bigger = realloc(buf, cap + 1);
        if (!bigger) { free(buf); buf = NULL; break; }
        buf = bigger;
    }
    int failed = ferror(f);
    fclose(f);
    if (!buf || failed) { free(buf); return NULL; }
    buf[len] = '\0';
    *out_len = len;
    return buf;
}

static int parse_ull(const char *s, unsigned long long *out) {
    if (!s || !*s) return 0;
    for (const char *p = s; *p; p++) if (*p < '0' || *p > '9') return 0;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0') return 0;
    *out = v;
    return 1;
}

static int parse_long(const char *s, long *out) {
    unsigned long long v;
    if (!parse_ull(s, &v) || v > 0x7fffffffULL) return 0;
    *out = (long)v;
    return 1;
}

static int compare_items(const void *a, const void *b) {
    unsigned long long x = ((const chat_item *)a)->seq, y = ((const chat_item *)b)->seq;
    return x < y ? -1 : x > y ? 1 : 0;
}

#define MAX_TOKENS 8

/* Parses scenario.txt in place. Returns 1 on success; on failure prints the reason and returns 0. */
static int scenario_load(WeWorkFinanceSdk_t *sdk, const char *dir) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/scenario.txt", dir) >= (int)sizeof path) {
        fprintf(stderr, "fake_sdk: scenario directory path too long\n");
        return 0;
    }
    size_t text_len = 0;
    sdk->text = read_whole_file(path, &text_len);
    if (!sdk->text) {
        fprintf(stderr, "fake_sdk: cannot read %s: %s\n", path, strerror(errno));
        return 0;
    }
    /* Upper bound of each record kind: one per line. */
    size_t lines = 1;
    for (size_t i = 0; i < text_len; i++) if (sdk->text[i] == '\n') lines++;
    sdk->items = calloc(lines, sizeof(chat_item));
    sdk->media = calloc(lines, sizeof(media_file));
    sdk->faults = calloc(lines, sizeof(fault));
    if (!sdk->items || !sdk->media || !sdk->faults) {
        fprintf(stderr, "fake_sdk: out of memory\n");
        return 0;
    }

    char *cursor = sdk->text;
    for (size_t line_no = 1; cursor && *cursor; line_no++) {
        char *line = cursor;
        char *newline = strchr(line, '\n');
        if (newline) { *newline = '\0'; cursor = newline + 1; } else cursor = NULL;
        size_t line_len = strlen(line);
        if (line_len > 0 && line[line_len - 1] == '\r') line[line_len - 1] = '\0';
        if (line[0] == '\0' || line[0] == '#') continue;

        char *tok[MAX_TOKENS + 1];
        int n = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
            if (n == MAX_TOKENS + 1) break;
            tok[n++] = t;
        }
        if (n == 0) continue;
        const char *problem = NULL;
        if (n > MAX_TOKENS) {
            problem = "too many fields";
        } else if (strcmp(tok[0], "config") == 0 && n >= 3) {
            unsigned long long v;
            const char *key = tok[1];
            if (strcmp(key, "chunk_size") == 0 && n == 3 && parse_ull(tok[2], &v) && v > 0 && v <= 64u * 1024u * 1024u) {
                sdk->chunk_size = (size_t)v;
            } else if (strcmp(key, "secret") == 0 && n == 3) {
                sdk->secret = tok[2];
            } else if (strcmp(key, "proxy") == 0 && n == 4) {
                sdk->proxy = tok[2];
                sdk->proxy_password = strcmp(tok[3], "-") == 0 ? "" : tok[3];
            } else if (strcmp(key, "expired_before") == 0 && n == 3 && parse_ull(tok[2], &v)) {
                sdk->has_expiry = 1;
                sdk->expired_before = v;
            } else if (strcmp(key, "latency_ms") == 0 && n == 3 && parse_long(tok[2], &sdk->latency_ms)) {
                /* parsed into sdk->latency_ms */
            } else {
                problem = "bad config line";
            }
        } else if (strcmp(tok[0], "item") == 0 && n == 6) {
            chat_item *it = &sdk->items[sdk->item_count];
            if (!parse_ull(tok[1], &it->seq) || !parse_long(tok[3], &it->publickey_ver)) problem = "bad item numbers";
            it->msgid = tok[2];
            it->encrypt_random_key = tok[4];
            it->encrypt_chat_msg = tok[5];
            if (!problem) sdk->item_count++;
        } else if (strcmp(tok[0], "media") == 0 && n == 3) {
            char media_path[4096];
            if (strchr(tok[2], '/') || snprintf(media_path, sizeof media_path, "%s/%s", dir, tok[2]) >= (int)sizeof media_path) {
                problem = "bad media file name";
            } else {
                media_file *m = &sdk->media[sdk->media_count];
                m->sdkfileid = tok[1];
                m->data = (uint8_t *)read_whole_file(media_path, &m->len);
                if (!m->data) problem = "cannot read media file";
                else sdk->media_count++;
            }
        } else if ((strcmp(tok[0], "fail") == 0 || strcmp(tok[0], "corrupt") == 0) && n >= 4) {
            fault *f = &sdk->faults[sdk->fault_count];
            long code = 0;
            int ok = 0;
            if (strcmp(tok[0], "fail") == 0 && (strcmp(tok[1], "chat") == 0 || strcmp(tok[1], "chatjson") == 0) && n == 5) {
                f->kind = strcmp(tok[1], "chat") == 0 ? FAULT_CHAT : FAULT_CHAT_JSON;
                ok = parse_ull(tok[2], &f->seq) && parse_long(tok[3], &code) && parse_long(tok[4], &f->times);
            } else if (strcmp(tok[0], "fail") == 0 && strcmp(tok[1], "media") == 0 && n == 6) {
                f->kind = FAULT_MEDIA;
                f->sdkfileid = tok[2];
                ok = parse_ull(tok[3], &f->offset) && parse_long(tok[4], &code) && parse_long(tok[5], &f->times);
            } else if (strcmp(tok[0], "corrupt") == 0 && strcmp(tok[1], "media") == 0 && n == 5) {
                f->kind = FAULT_CORRUPT;
                f->sdkfileid = tok[2];
                ok = parse_ull(tok[3], &f->offset) && parse_long(tok[4], &f->times);
            }
            f->code = (int)code;
            if (ok) sdk->fault_count++;
            else problem = "bad fail/corrupt line";
        } else {
            problem = "unknown line";
        }
        if (problem) {
            fprintf(stderr, "fake_sdk: %s line %zu: %s\n", path, line_no, problem);
            return 0;
        }
    }
    qsort(sdk->items, sdk->item_count, sizeof(chat_item), compare_items);
    return 1;
}

/* Returns the injected code for this call (0 = no fault) and counts the use; sdk->mutex held inside. */
static int take_fault(WeWorkFinanceSdk_t *sdk, fault_kind kind, unsigned long long seq, const char *sdkfileid, unsigned long long offset) {
    int code = 0;
    pthread_mutex_lock(&sdk->mutex);
    for (size_t i = 0; i < sdk->fault_count && code == 0; i++) {
        fault *f = &sdk->faults[i];
        if (f->kind != kind) continue;
        int matches = (kind == FAULT_CHAT || kind == FAULT_CHAT_JSON)
                          ? f->seq == seq
                          : (strcmp(f->sdkfileid, sdkfileid) == 0 && f->offset == offset);
        if (!matches || (f->times != 0 && f->used >= f->times)) continue;
        f->used++;
        code = kind == FAULT_CORRUPT ? 1 : f->code;
    }
    pthread_mutex_unlock(&sdk->mutex);
    return code;
}

static int proxy_matches(const WeWorkFinanceSdk_t *sdk, const char *proxy, const char *passwd) {
    if (!sdk->proxy) return 1;
    return strcmp(sdk->proxy, proxy ? proxy : "") == 0 && strcmp(sdk->proxy_password, passwd ? passwd : "") == 0;
}

static void simulate_latency(const WeWorkFinanceSdk_t *sdk) {
    if (sdk->latency_ms <= 0) return;
    struct timespec ts = {sdk->latency_ms / 1000, (sdk->latency_ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* ---- A small growable byte buffer for building the JSON answer ---- */

typedef struct {
    char *data;
    size_t len, cap;
    int failed;
} text_buf;

static void buf_append(text_buf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (b->len + n + 1 > cap) cap *= 2;
        char *bigger = realloc(b->data, cap);
        if (!bigger) { b->failed = 1; return; }
        b->data = bigger;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_str(text_buf *b, const char *s) { buf_append(b, s, strlen(s)); }

/* JSON string with the two characters that need escaping in our tokens. */
static void buf_json_string(text_buf *b, const char *s) {
    buf_append(b, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\') buf_append(b, "\\", 1);
        buf_append(b, p, 1);
    }
    buf_append(b, "\"", 1);
}

static void buf_number(text_buf *b, unsigned long long v) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%llu", v);
    buf_append(b, tmp, (size_t)n);
}

/* Hands a malloc'd buffer to a slice, replacing (and freeing) what it held. */
static int slice_take(Slice_t *slice, text_buf *b) {
    if (b->failed || b->len > 0x7fffffff) { free(b->data); return SDK_SYSTEM; }
    if (slice->buf) owned_free(slice->buf);
    /* Re-account the buffer as caller-owned: FreeSlice releases it. */
    __atomic_add_fetch(&live_allocations, 1, __ATOMIC_RELAXED);
    slice->buf = b->data;
    slice->len = (int)b->len;
    return SDK_OK;
}

/* ---- The exported SDK ABI ---- */

WeWorkFinanceSdk_t *NewSdk(void) {
    WeWorkFinanceSdk_t *sdk = owned_calloc(1, sizeof *sdk);
    if (!sdk) return NULL;
    pthread_mutex_init(&sdk->mutex, NULL);
    sdk->chunk_size = DEFAULT_CHUNK_SIZE;
    return sdk;
}

int Init(WeWorkFinanceSdk_t *sdk, const char *corpid, const char *secret) {
    if (!sdk || !corpid || !secret) return SDK_BAD_PARAMS;
    scenario_free(sdk);
    const char *dir = strncmp(corpid, "fake:", 5) == 0 ? corpid + 5 : getenv("WECOM_FAKE_DIR");
    if (!dir || !*dir) {
        fprintf(stderr, "fake_sdk: no scenario: pass corpid \"fake:<dir>\" or set WECOM_FAKE_DIR\n");
        return SDK_BAD_PARAMS;
    }
    if (!scenario_load(sdk, dir)) {
        scenario_free(sdk);
        return SDK_BAD_PARAMS;
    }
    if (sdk->secret && strcmp(sdk->secret, secret) != 0) {
        scenario_free(sdk);
        return SDK_BAD_PARAMS;
    }
    sdk->initialized = 1;
    return SDK_OK;
}

void DestroySdk(WeWorkFinanceSdk_t *sdk) {
    if (!sdk) return;
    scenario_free(sdk);
    pthread_mutex_destroy(&sdk->mutex);
    owned_free(sdk);
}

int GetChatData(WeWorkFinanceSdk_t *sdk, unsigned long long seq, unsigned int limit, const char *proxy,
                const char *passwd, int timeout, Slice_t *chatDatas) {
    (void)timeout;
    if (!sdk || !sdk->initialized || !chatDatas) return SDK_BAD_PARAMS;
    if (limit == 0 || limit > MAX_LIMIT) return SDK_BAD_PARAMS;
    simulate_latency(sdk);
    if (!proxy_matches(sdk, proxy, passwd)) return SDK_NETWORK;
    int code = take_fault(sdk, FAULT_CHAT, seq, NULL, 0);
    if (code != 0) return code;
    if (sdk->has_expiry && seq < sdk->expired_before) return SDK_EXPIRED;

    text_buf b = {0};
    code = take_fault(sdk, FAULT_CHAT_JSON, seq, NULL, 0);
    if (code != 0) {
        buf_str(&b, "{\"errcode\":");
        buf_number(&b, (unsigned long long)code);
        buf_str(&b, ",\"errmsg\":\"fake sdk: injected error\"}");
        return slice_take(chatDatas, &b);
    }

    /* Items are sorted by seq: serve those after `seq` (exclusive), at most `limit`. */
    size_t first = 0;
    while (first < sdk->item_count && sdk->items[first].seq <= seq) first++;
    buf_str(&b, "{\"errcode\":0,\"errmsg\":\"ok\",\"chatdata\":[");
    for (size_t i = first; i < sdk->item_count && i - first < limit; i++) {
        const chat_item *it = &sdk->items[i];
        if (i > first) buf_str(&b, ",");
        buf_str(&b, "{\"seq\":");
        buf_number(&b, it->seq);
        buf_str(&b, ",\"msgid\":");
        buf_json_string(&b, it->msgid);
        buf_str(&b, ",\"publickey_ver\":");
        buf_number(&b, (unsigned long long)it->publickey_ver);
        buf_str(&b, ",\"encrypt_random_key\":");
        buf_json_string(&b, it->encrypt_random_key);
        buf_str(&b, ",\"encrypt_chat_msg\":");
        buf_json_string(&b, it->encrypt_chat_msg);
        buf_str(&b, "}");
    }
    buf_str(&b, "]}");
    return slice_take(chatDatas, &b);
}

int DecryptData(const char *encrypt_key, const char *encrypt_msg, Slice_t *msg) {
    if (!encrypt_key || !encrypt_msg || !msg || !*encrypt_key) return SDK_BAD_PARAMS;
    size_t len = 0;
    uint8_t *bytes = base64_decode(encrypt_msg, &len);
    if (!bytes) return SDK_DECRYPT_FAILED;
    apply_keystream(encrypt_key, bytes, len);
    if (len < sizeof MAGIC || memcmp(bytes, MAGIC, sizeof MAGIC) != 0) {
        free(bytes);
        return SDK_DECRYPT_FAILED;
    }
    text_buf b = {0};
    buf_append(&b, (const char *)bytes + sizeof MAGIC, len - sizeof MAGIC);
    free(bytes);
    if (b.len == 0) buf_append(&b, "", 0); /* an empty message still gets a (NUL-terminated) buffer */
    return slice_take(msg, &b);
}

int GetMediaData(WeWorkFinanceSdk_t *sdk, const char *indexbuf, const char *sdkFileid, const char *proxy,
                 const char *passwd, int timeout, MediaData_t *media_data) {
    (void)timeout;
    if (!sdk || !sdk->initialized || !media_data) return SDK_BAD_PARAMS;
    if (!sdkFileid || !*sdkFileid) return SDK_BAD_FILEID;
    simulate_latency(sdk);
    if (!proxy_matches(sdk, proxy, passwd)) return SDK_NETWORK;

    const media_file *file = NULL;
    for (size_t i = 0; i < sdk->media_count && !file; i++)
        if (strcmp(sdk->media[i].sdkfileid, sdkFileid) == 0) file = &sdk->media[i];
    if (!file) return SDK_BAD_FILEID;

    unsigned long long offset = 0;
    if (indexbuf && *indexbuf && !parse_ull(indexbuf, &offset)) return SDK_BAD_PARAMS;
    if (offset > file->len) return SDK_BAD_PARAMS;

    int code = take_fault(sdk, FAULT_MEDIA, 0, sdkFileid, offset);
    if (code != 0) return code;

    size_t chunk = file->len - (size_t)offset;
    if (chunk > sdk->chunk_size) chunk = sdk->chunk_size;
    size_t next = (size_t)offset + chunk;
    char *data = owned_calloc(chunk + 1, 1);
    char *index = owned_calloc(32, 1);
    if (!data || !index) { owned_free(data); owned_free(index); return SDK_SYSTEM; }
    if (chunk > 0) memcpy(data, file->data + offset, chunk);
    if (chunk > 0 && take_fault(sdk, FAULT_CORRUPT, 0, sdkFileid, offset)) {
        /* Wrong bytes of the right length, as a flaky transfer would deliver. */
        for (size_t i = 0; i < chunk; i += 97) data[i] = (char)(data[i] ^ 0x5a);
    }
    int index_len = snprintf(index, 32, "%zu", next);

    owned_free(media_data->data);
    owned_free(media_data->outindexbuf);
    media_data->data = data;
    media_data->data_len = (int)chunk;
    media_data->outindexbuf = index;
    media_data->out_len = index_len;
    media_data->is_finish = next >= file->len ? 1 : 0;
    return SDK_OK;
}

Slice_t *NewSlice(void) { return owned_calloc(1, sizeof(Slice_t)); }

void FreeSlice(Slice_t *slice) {
    if (!slice) return;
    owned_free(slice->buf);
    owned_free(slice);
}

char *GetContentFromSlice(Slice_t *slice) { return slice ? slice->buf : NULL; }

int GetSliceLen(Slice_t *slice) { return slice ? slice->len : 0; }

MediaData_t *NewMediaData(void) { return owned_calloc(1, sizeof(MediaData_t)); }

void FreeMediaData(MediaData_t *media_data) {
    if (!media_data) return;
    owned_free(media_data->data);
    owned_free(media_data->outindexbuf);
    owned_free(media_data);
}

char *GetOutIndexBuf(MediaData_t *media_data) { return media_data ? media_data->outindexbuf : NULL; }

char *GetData(MediaData_t *media_data) { return media_data ? media_data->data : NULL; }

int GetIndexLen(MediaData_t *media_data) { return media_data ? media_data->out_len : 0; }

int GetDataLen(MediaData_t *media_data) { return media_data ? media_data->data_len : 0; }

int IsMediaDataFinish(MediaData_t *media_data) { return media_data ? media_data->is_finish : 0; }
