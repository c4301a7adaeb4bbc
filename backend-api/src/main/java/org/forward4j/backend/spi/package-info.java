/** Service-provider interface for evaluation backends. */
package org.forward4j.backend.spi;
