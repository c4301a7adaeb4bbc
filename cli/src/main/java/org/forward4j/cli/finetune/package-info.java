/**
 * {@code forward4j finetune}: the FLOPS paper's main experiment at small scale in one command (pretrain by backprop,
 * fine-tune few-shot forward-only under several allocators at equal queries, backprop ceiling and linear-probe floor,
 * savings and a learning-rate by queries grid). See docs/finetune.md.
 */
package org.forward4j.cli.finetune;
