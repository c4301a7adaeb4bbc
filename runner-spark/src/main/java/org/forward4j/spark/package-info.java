/**
 * The Spark runner ({@code forward4j.runner=spark}): forward learning on a Spark cluster, with seed replay for
 * weight-perturbation estimators and gradient reduction for activation noise. See runner-spark/README.md.
 */
package org.forward4j.spark;
