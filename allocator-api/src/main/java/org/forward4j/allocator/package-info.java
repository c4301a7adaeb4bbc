/**
 * Query allocation (docs/method.md §3): the {@link org.forward4j.allocator.QueryAllocator} contract, its value types,
 * the shared integerisation in {@link org.forward4j.allocator.Allocations}, and the reference {@code uniform}
 * allocator.
 */
package org.forward4j.allocator;
