/**
 * Example third-party forward4j plugins: the {@code loss-proportional} allocator and the {@code forward-diff}
 * estimator, registered in {@code META-INF/services} and proven by the forward4j tck.
 */
package com.example.forward4j;
