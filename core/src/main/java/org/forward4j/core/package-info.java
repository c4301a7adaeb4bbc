/**
 * The forward4j engine facade: {@link org.forward4j.core.Forward4j} resolves configuration, discovers plugins with
 * {@link java.util.ServiceLoader}, assembles them with Guice ({@link org.forward4j.core.Forward4jModule}) and builds
 * trainers.
 */
package org.forward4j.core;
