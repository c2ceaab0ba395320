#!/usr/bin/env python3
"""Synthetic unlabelled speech for pretraining beside FSDD: N short utterances of 1-3 English words (never a
digit name) from espeak-ng, each with a random English accent, voice variant, rate (110-220 words/min) and
pitch (15-85), resampled by sox to 8 kHz mono 16-bit, normalised to -3 dBFS, leading and trailing silence
trimmed. A seed fixes the words, voices, rates, pitches and so the lengths; sox's dither makes the low
bits differ from run to run. Needs only Debian's espeak-ng and sox (stdlib Python).

    python3 recipes/fsdd/local/synth-speech.py N SEED OUT_DIR

The fsdd README's "synthetic speech" ablation row used N 1,007 (the first 1,007 of seed 1's sequence).
"""
import os
import random
import subprocess
import sys

# words: common English words, none of them a digit name
words = """the a an and but or if when where what who why how this that these those here there now then
today tomorrow morning evening night water fire earth stone tree leaf river ocean mountain valley city
street house room door window table chair paper pencil book letter music song voice sound light dark color
red green blue yellow purple orange black white brown grey small large little big long short tall wide
narrow happy sad angry calm quiet loud soft hard warm cold bright heavy light quick slow early late
always never often sometimes maybe please thank welcome hello goodbye friend family mother father sister
brother child people person teacher doctor farmer driver artist writer garden flower grass forest field
road bridge train plane ship boat car bicycle market shop bread butter cheese apple banana lemon coffee
tea milk sugar salt pepper rice soup dinner lunch breakfast kitchen bottle glass plate spoon knife fork
walk run jump swim fly sing dance play read write speak listen watch look find keep give take bring send
open close start finish begin stop turn move carry hold build break cut draw paint clean wash cook eat
drink sleep wake think know learn teach remember forget believe hope wish want need like love hate
question answer problem reason idea story picture moment minute hour week month year season summer winter
spring autumn weather rain snow wind cloud storm sunshine island desert castle village kingdom planet
machine engine computer language science history nature animal horse rabbit turtle eagle dolphin tiger
elephant monkey spider butterfly chicken pocket jacket blanket pillow basket ladder hammer candle mirror
balloon whistle rocket puzzle rhythm silver golden purple velvet crystal marble shadow whisper thunder
""".split()
voices = ["en-us","en-gb","en-gb-scotland","en-gb-x-rp","en-gb-x-gbclan","en-gb-x-gbcwmd","en-029","en-us-nyc"]
variants = ["m1","m2","m3","m4","m5","m6","m7","f1","f2","f3","f4","f5","Alex","Andy","Annie","belinda","benjamin","david","ed","john","linda","max","Mike","paul","Storm","Gene","Lee","Michael"]
n=int(sys.argv[1]); seed=int(sys.argv[2]); out=sys.argv[3]
rng=random.Random(seed); os.makedirs(out, exist_ok=True)
for i in range(n):
    k=rng.choice([1,1,2,2,3])
    text=" ".join(rng.choice(words) for _ in range(k))
    v=rng.choice(voices)+"+"+rng.choice(variants)
    s=rng.randint(110,220); p=rng.randint(15,85)
    dst=f"{out}/synth_{v.replace('+','-')}_{i}.wav"
    if os.path.exists(dst):  # a rerun (after a kill) keeps what is done; the draws above keep the sequence
        continue
    # Temporaries unique to this process, renamed into place: a kill leaves no half-written utterance and a
    # second run in the same folder does not write over this one's files.
    raw=f"{out}/.raw.{os.getpid()}.{i}.wav"; tmp=f"{out}/.tmp.{os.getpid()}.{i}.wav"
    try:
        subprocess.run(["espeak-ng","-v",v,"-s",str(s),"-p",str(p),"-w",raw,text],check=True,stderr=subprocess.DEVNULL)
        subprocess.run(["sox",raw,"-r","8000","-c","1","-b","16",tmp,"gain","-n","-3","silence","1","0.02","0.5%","reverse","silence","1","0.02","0.5%","reverse","gain","-n","-3"],check=True)
        os.replace(tmp, dst)
    finally:
        for f in (raw, tmp):
            if os.path.exists(f):
                os.remove(f)
