/* Minimal Cortex-M4F start-up for QEMU's mps2-an386: vector table, FPU on,
 * .data copied from flash, then newlib's semihosting crt0 (_start), which
 * clears .bss and calls main. */
#include <stdint.h>

extern uint32_t __stack_top, __etext, __data_start__, __data_end__;
extern void _start(void);
void reset_handler(void);

static void fault(void)
{
    for (;;) {
    }
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&__stack_top, reset_handler, fault, fault, fault, fault, fault, 0, 0, 0, 0,
    fault, fault, 0, fault, fault,
};

void reset_handler(void)
{
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
    *cpacr |= 0xFu << 20; /* CP10 and CP11: the single-precision FPU */
    __asm volatile("dsb\n\tisb");
    uint32_t *src = &__etext, *dst = &__data_start__;
    while (dst < &__data_end__)
        *dst++ = *src++;
    _start();
}
