/**
 * Service-provider interface for gradient estimators: implement
 * {@link org.forward4j.estimator.spi.GradientEstimatorProvider} and register it with {@link java.util.ServiceLoader}.
 */
package org.forward4j.estimator.spi;
