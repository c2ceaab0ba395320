/**
 * Registers every layer exporter (import for the side effect). A layer kind added to src/nn/ gets its
 * exporter in a file here and a line below; export refuses layers missing from the registry.
 */
import './basic.ts';
import './attention.ts';
import './conv.ts';
import './recurrent.ts';
