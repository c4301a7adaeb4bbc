/**
 * The backpropagation reference for comparisons: the same MLP trained with exact gradients from ND4J's SameDiff
 * autodiff, in forward4j's batch order and scored by forward4j's evaluation. It is a yardstick for forward learning
 * (docs/method.md §4 describes the forward-only loop it is measured against) and nothing in forward4j's training code
 * uses it.
 */
package org.forward4j.backprop;
