/** Native models: multi-layer perceptrons (initialisation and clean evaluation). */
package org.forward4j.core.model;
