/**
 * Registers every encoder exporter (import for the side effect). An encoder added to src/models/ gets
 * its exporter in a file here and a line below; export refuses encoders missing from the registry.
 */
import './conv-stack.ts';
import './audio-transformer.ts';
import './cpc.ts';
import './resnet.ts';
import './vit.ts';
