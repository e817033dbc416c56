// A QEMU TCG plugin that counts the guest instructions a run executes and prints
// "instructions N" when QEMU exits (with -d plugin): tools/firmware-check's instruction
// counts per inference, repeatable where wall time on a shared machine is not.
//   cc -shared -fPIC qemu_insn_count.c -o libinsn.so
//   qemu-system-arm ... -plugin ./libinsn.so -d plugin
// Debian ships QEMU with plugins enabled but without qemu-plugin.h, so the few entry
// points used are declared here, as QEMU's plugin API (version 1, QEMU 4.2 and later)
// defines them: each translated block adds its instruction count to one counter every time
// it runs (an inline add, QEMU_PLUGIN_INLINE_ADD_U64 = 0).
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_info_t;

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, int op, void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, void *), void *userdata);
void qemu_plugin_outs(const char *string);

/// Instructions executed (one vCPU: the microcontroller boards have one).
static uint64_t executed;

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, 0, &executed, qemu_plugin_tb_n_insns(tb));
}

static void exited(qemu_plugin_id_t id, void *unused) {
    (void)id, (void)unused;
    char line[64];
    snprintf(line, sizeof line, "instructions %llu\n", (unsigned long long)executed);
    qemu_plugin_outs(line);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc, char **argv) {
    (void)info, (void)argc, (void)argv;
    qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
    qemu_plugin_register_atexit_cb(id, exited, NULL);
    return 0;
}
