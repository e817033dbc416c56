/* The model's object in a firmware image (`pith build --target`, or a firmware of one's own:
   see tools/firmware-check): the .pith file in flash, 64-byte aligned, between
   pith_firmware_model and pith_firmware_model_end; the arena's size in
   pith_firmware_arena_bytes and the arena itself in bss. Assembled with the C
   preprocessor:
     cc -c -x assembler-with-cpp -DPITH_MODEL_FILE='"model.pith"' -DPITH_ARENA_BYTES=N model_blob.S */
    .section .rodata.pith_firmware_model,"a"
    .balign 64
    .global pith_firmware_model
pith_firmware_model:
    .incbin PITH_MODEL_FILE
    .global pith_firmware_model_end
pith_firmware_model_end:

    .section .rodata.pith_firmware_arena_bytes,"a"
    .balign 4
    .global pith_firmware_arena_bytes
pith_firmware_arena_bytes:
    .word PITH_ARENA_BYTES

    .section .bss.pith_firmware_arena,"aw",%nobits
    .balign 64
    .global pith_firmware_arena
pith_firmware_arena:
    .space PITH_ARENA_BYTES
