/*
 * coro_switch_x86_64.S — the context switch of sim/machine/coro.c.
 * void coro_switch_raw(void **save_sp, void *new_sp): push the System V
 * callee-saved registers, save RSP, load the other RSP, pop, return into
 * the other context.
 */
	.text
	.globl	coro_switch_raw
	.type	coro_switch_raw, @function
coro_switch_raw:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size	coro_switch_raw, .-coro_switch_raw

	/* First entry of a new coroutine: fn in rbx, arg in r12. */
	.globl	coro_trampoline
	.type	coro_trampoline, @function
coro_trampoline:
	movq	%r12, %rdi
	callq	*%rbx
	ud2
	.size	coro_trampoline, .-coro_trampoline

	.section .note.GNU-stack,"",@progbits
