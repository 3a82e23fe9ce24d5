/*
 * A stand-in for the NVIDIA driver's libcuda.so.1, for tests on machines without a GPU.
 *
 * It implements just the driver-API calls checker's probe makes, with behaviour chosen by environment
 * variables, so the probe's control flow (cuInit errors, the PTX JIT and its fallback on error 222,
 * result verification) runs for real. "Device memory" is host memory and the "kernel" is computed on
 * the CPU. It complements, never replaces, the tests against real CUDA runtime libraries.
 *
 *   FAKE_CUDA_INIT_RESULT     cuInit's return code (default 0)
 *   FAKE_CUDA_DRIVER_VERSION  cuDriverGetVersion's value (default 12020)
 *   FAKE_CUDA_DEVICE_COUNT    devices (default 1)
 *   FAKE_CUDA_CC              compute capability "8.6" (default)
 *   FAKE_CUDA_MAX_PTX         newest PTX ISA the "JIT" accepts, "8.2" (default 9.9)
 *   FAKE_CUDA_WRONG_RESULT    when set, the kernel computes a wrong answer
 *   FAKE_CUDA_HANG_INIT       when set, cuInit never returns (a hung driver)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int CUresult;

static int env_int(const char *name, int fallback) {
    const char *v = getenv(name);
    return v && *v ? atoi(v) : fallback;
}

static int version_code(const char *text) { /* "8.4" -> 804 */
    int major = 0, minor = 0;
    if (sscanf(text, "%d.%d", &major, &minor) < 1) return 0;
    return major * 100 + minor;
}

CUresult cuInit(unsigned flags) {
    (void)flags;
    while (getenv("FAKE_CUDA_HANG_INIT")) sleep(60);
    return env_int("FAKE_CUDA_INIT_RESULT", 0);
}
CUresult cuDriverGetVersion(int *v) { *v = env_int("FAKE_CUDA_DRIVER_VERSION", 12020); return 0; }

CUresult cuGetErrorName(CUresult e, const char **s) {
    switch (e) {
        case 0: *s = "CUDA_SUCCESS"; return 0;
        case 3: *s = "CUDA_ERROR_NOT_INITIALIZED"; return 0;
        case 100: *s = "CUDA_ERROR_NO_DEVICE"; return 0;
        case 222: *s = "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"; return 0;
        case 804: *s = "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE"; return 0;
        default: *s = "CUDA_ERROR_UNKNOWN"; return 0;
    }
}

CUresult cuGetErrorString(CUresult e, const char **s) {
    switch (e) {
        case 0: *s = "no error"; return 0;
        case 100: *s = "no CUDA-capable device is detected"; return 0;
        case 222: *s = "the provided PTX was compiled with an unsupported toolchain."; return 0;
        case 804: *s = "forward compatibility was attempted on non supported HW"; return 0;
        default: *s = "unknown error"; return 0;
    }
}

CUresult cuDeviceGetCount(int *n) { *n = env_int("FAKE_CUDA_DEVICE_COUNT", 1); return *n ? 0 : 100; }
CUresult cuDeviceGet(int *d, int ordinal) { *d = ordinal; return 0; }

CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
    (void)device;
    const char *cc = getenv("FAKE_CUDA_CC");
    int code = version_code(cc && *cc ? cc : "8.6");
    if (attribute == 75) *value = code / 100;
    else if (attribute == 76) *value = code % 100;
    else *value = 0;
    return 0;
}

CUresult cuDeviceGetName(char *name, int len, int device) {
    (void)device;
    snprintf(name, (size_t)len, "Fake GPU (libcuda stub)");
    return 0;
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, int device) { (void)device; *bytes = (size_t)1 << 30; return 0; }

static int context_token;
CUresult cuDevicePrimaryCtxRetain(void **ctx, int device) { (void)device; *ctx = &context_token; return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(int device) { (void)device; return 0; }
CUresult cuCtxPushCurrent_v2(void *ctx) { (void)ctx; return 0; }
CUresult cuCtxPopCurrent_v2(void **ctx) { if (ctx) *ctx = &context_token; return 0; }
CUresult cuCtxSynchronize(void) { return 0; }

static int module_token;
CUresult cuModuleLoadDataEx(void **module, const void *image, unsigned n, int *options, void **values) {
    const char *ptx = (const char *)image;
    const char *version = strstr(ptx, ".version ");
    const char *limit = getenv("FAKE_CUDA_MAX_PTX");
    char *log = NULL;
    size_t log_size = 0;
    for (unsigned i = 0; i < n; i++) {
        if (options[i] == 5) log = (char *)values[i];
        if (options[i] == 6) log_size = (size_t)(uintptr_t)values[i];
    }
    if (!version || !strstr(ptx, ".entry checker_axpb")) return 218; /* CUDA_ERROR_INVALID_PTX */
    if (version_code(version + 9) > version_code(limit && *limit ? limit : "9.9")) {
        if (log && log_size)
            snprintf(log, log_size, "ptxas application ptx input, line 2; fatal   : Unsupported .version %.3s; "
                     "current version is '%s'", version + 9, limit);
        return 222;
    }
    *module = &module_token;
    return 0;
}

CUresult cuModuleGetFunction(void **f, void *module, const char *name) {
    (void)module;
    if (strcmp(name, "checker_axpb") != 0) return 500; /* CUDA_ERROR_NOT_FOUND */
    *f = &module_token;
    return 0;
}

CUresult cuModuleUnload(void *module) { (void)module; return 0; }
CUresult cuMemAlloc_v2(uint64_t *dptr, size_t bytes) { *dptr = (uint64_t)(uintptr_t)malloc(bytes); return *dptr ? 0 : 2; }
CUresult cuMemFree_v2(uint64_t dptr) { free((void *)(uintptr_t)dptr); return 0; }
CUresult cuMemcpyHtoD_v2(uint64_t dst, const void *src, size_t n) { memcpy((void *)(uintptr_t)dst, src, n); return 0; }
CUresult cuMemcpyDtoH_v2(void *dst, uint64_t src, size_t n) { memcpy(dst, (const void *)(uintptr_t)src, n); return 0; }

CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, void *stream, void **params, void **extra) {
    (void)f; (void)gy; (void)gz; (void)by; (void)bz; (void)shared; (void)stream; (void)extra;
    float *data = (float *)(uintptr_t)(*(uint64_t *)params[0]);
    uint32_t n = *(uint32_t *)params[1];
    float offset = getenv("FAKE_CUDA_WRONG_RESULT") ? 2.0f : 1.0f;
    for (uint32_t i = 0; i < n && i < gx * bx; i++) data[i] = 2.0f * data[i] + offset;
    return 0;
}
