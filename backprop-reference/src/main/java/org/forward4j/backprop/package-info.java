/**
 * The backpropagation reference for comparisons: the same models (MLPs and layer graphs) trained with exact gradients
 * from ND4J's SameDiff autodiff, in forward4j's batch order and scored by forward4j's evaluation, and the exact
 * gradient the tests hold forward-only estimates against. It is a yardstick for forward learning (docs/method.md §4
 * describes the forward-only loop it is measured against) and the starting point of fine-tuning ({@code pretrain});
 * nothing in forward4j's forward-only training code uses it.
 */
package org.forward4j.backprop;
