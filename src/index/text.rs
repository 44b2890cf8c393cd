//! Full-text index over actor names: accent- and case-insensitive, with prefix matching and
//! one-typo tolerance, sized for a France-wide directory (two million actors).
//!
//! Text is folded to lowercase ASCII by the one text fold ([`crate::model::text::fold`]) and cut
//! into tokens ([`tokenize`]): `St Juéry`
//! and `saint-juery` both give `saint juery`. The token dictionary is an [`fst::Map`] from token
//! to term id, term ids being the tokens' lexicographic ranks, so that every token starting with
//! a prefix is a contiguous range of ids. Posting lists (sorted internal doc numbers) live in one
//! flat `Vec<u32>` with per-term offsets, with the field weight of each posting beside it.
//!
//! ```
//! use maillage::index::text::TextIndexBuilder;
//! let mut b = TextIndexBuilder::new();
//! b.add(7, &[("EHPAD Les Tilleuls", 3), ("St Juéry", 1)]);
//! b.add(9, &[("Pharmacie du Centre", 3), ("Gaillac", 1)]);
//! let index = b.build();
//! assert_eq!(index.search("ehpd saint-juery", 10, |_| true)[0].doc, 7);
//! assert_eq!(index.matching("pharmacie gail"), vec![9]);
//! ```

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use fst::{Automaton, IntoStreamer, Map, Streamer};

use crate::util::slab::Slab;

/// French stop words dropped from names and queries (unless a text has nothing else).
const STOP_WORDS: &[&str] = &[
    "de", "du", "des", "la", "le", "les", "l", "d", "et", "a", "au", "aux", "en", "sur", "sous",
];

/// At most this many completions are used for a prefix (the most frequent ones).
const MAX_PREFIX_TERMS: usize = 64;
/// A prefix of one or two characters (a first keystroke) uses at most this many completions…
const MAX_SHORT_PREFIX_TERMS: usize = 16;
/// …and only those that keep its total postings under this budget.
const SHORT_PREFIX_BUDGET: usize = 100_000;
/// Typo tolerance applies to query tokens of at least this many characters…
const MIN_TYPO_LEN: usize = 4;
/// …and at most this many (longer ones would make the automaton needlessly large).
const MAX_TYPO_LEN: usize = 32;
/// Query tokens beyond this count are ignored.
const MAX_QUERY_TOKENS: usize = 12;

const QUALITY_EXACT: f32 = 1.0;
/// A prefix match scores between `QUALITY_PREFIX` and `QUALITY_PREFIX + PREFIX_COVERAGE`,
/// more when the query covers more of the token.
const QUALITY_PREFIX: f32 = 0.5;
const PREFIX_COVERAGE: f32 = 0.3;
const QUALITY_TYPO: f32 = 0.4;
/// Bonus when the query covers the whole main field (the name): ranks `Dr Martin` before
/// `Dr Martin Dupont` for the query `martin`.
const NAME_COVERAGE_BONUS: f32 = 0.25;

/// Cuts text into search tokens: the words of the one text fold
/// ([`crate::model::text::fold`]), `st` → `saint` and `ste` → `sainte`, French stop words
/// dropped unless every token is one.
///
/// ```
/// use maillage::index::text::tokenize;
/// assert_eq!(tokenize("St Juéry"), ["saint", "juery"]);
/// assert_eq!(tokenize("CH d'Albi"), ["ch", "albi"]);
/// assert_eq!(tokenize("Sainte-Croix-de-Quintillargues"), ["sainte", "croix", "quintillargues"]);
/// assert_eq!(tokenize("Les"), ["les"]);
/// ```
pub fn tokenize(s: &str) -> Vec<String> {
    let mut t = Tokenizer::default();
    t.run(s).map(str::to_string).collect()
}

fn is_stop_word(t: &str) -> bool {
    STOP_WORDS.contains(&t)
}

/// Reusable tokenizer buffers (no allocation per token).
#[derive(Default)]
struct Tokenizer {
    buf: String,
    spans: Vec<(usize, usize)>,
}

impl Tokenizer {
    fn run(&mut self, s: &str) -> impl Iterator<Item = &str> + '_ {
        self.buf.clear();
        self.spans.clear();
        // The first step of the one fold, then its word split, done here over reused buffers.
        crate::model::text::ascii_lower_into(s, &mut self.buf);
        let bytes = self.buf.as_bytes();
        let mut start = None;
        for (i, b) in bytes.iter().enumerate() {
            match (b.is_ascii_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s0)) => {
                    self.spans.push((s0, i));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s0) = start {
            self.spans.push((s0, bytes.len()));
        }
        let buf = &self.buf;
        let all_stop = self.spans.iter().all(|&(a, b)| is_stop_word(&buf[a..b]));
        self.spans
            .iter()
            .map(move |&(a, b)| &buf[a..b])
            .filter(move |t| all_stop || !is_stop_word(t))
            .map(crate::model::text::expand_saint)
    }
}

/// FxHash-style hasher for the builder's vocabulary (local data, no HashDoS concern).
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Collects documents, then builds a [`TextIndex`].
///
/// ```
/// use maillage::index::text::TextIndexBuilder;
/// let mut b = TextIndexBuilder::new();
/// b.add(1, &[("CH d'Albi", 3), ("Centre hospitalier", 1), ("Albi", 1)]);
/// let index = b.build();
/// assert_eq!(index.len(), 1);
/// ```
#[derive(Default)]
pub struct TextIndexBuilder {
    /// Token → provisional term id (insertion order).
    vocab: FxMap<Box<str>, u32>,
    /// External doc id of each `add` call.
    doc_ids: Vec<u32>,
    /// Per `add` call: token count of the heaviest field and that field's weight.
    doc_meta: Vec<DocMeta>,
    /// End of each `add` call's entries in `entry_terms`/`entry_weights`.
    doc_ends: Vec<usize>,
    /// Provisional term id and weight of each distinct (doc, term), grouped by `add` call.
    entry_terms: Vec<u32>,
    entry_weights: Vec<u8>,
    tokenizer: Tokenizer,
    scratch: Vec<(u32, u8)>,
    /// Term ids of texts given as repeated (see [`TextIndexBuilder::add_with_repeated`]).
    memo: FxMap<Box<str>, Box<[u32]>>,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct DocMeta {
    /// Tokens in the heaviest field (saturating at 255).
    main_len: u8,
    /// Weight of the heaviest field.
    main_weight: u8,
}

/// The provisional id of a token, added to the vocabulary if new.
fn term_id(vocab: &mut FxMap<Box<str>, u32>, tok: &str) -> u32 {
    match vocab.get(tok) {
        Some(&id) => id,
        None => {
            let id = vocab.len() as u32;
            vocab.insert(tok.into(), id);
            id
        }
    }
}

impl TextIndexBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a document (doc ids are given by the caller, any u32, each once) with weighted
    /// fields, e.g. `&[("CH d'Albi", 3), ("Centre hospitalier", 1), ("Albi", 1)]`.
    ///
    /// A token found in several fields keeps the highest weight. Adding the same doc id twice
    /// merges both field lists into one document.
    ///
    /// ```
    /// use maillage::index::text::TextIndexBuilder;
    /// let mut b = TextIndexBuilder::new();
    /// b.add(42, &[("Pharmacie du Centre", 3), ("Gaillac", 1)]);
    /// assert_eq!(b.build().matching("gaillac"), vec![42]);
    /// ```
    pub fn add(&mut self, doc: u32, fields: &[(&str, u8)]) {
        self.add_with_repeated(doc, fields, &[]);
    }

    /// Like [`TextIndexBuilder::add`], with more fields whose texts recur across many
    /// documents (a kind's label, a commune's name): each distinct text is tokenised once and
    /// its terms reused, which matters with millions of documents.
    ///
    /// ```
    /// use maillage::index::text::TextIndexBuilder;
    /// let mut b = TextIndexBuilder::new();
    /// b.add_with_repeated(1, &[("Pharmacie du Centre", 3)], &[("Gaillac", 1)]);
    /// b.add_with_repeated(2, &[("Pharmacie Martin", 3)], &[("Gaillac", 1)]);
    /// assert_eq!(b.build().matching("gaillac"), vec![1, 2]);
    /// ```
    pub fn add_with_repeated(&mut self, doc: u32, fields: &[(&str, u8)], repeated: &[(&str, u8)]) {
        self.scratch.clear();
        let mut meta = DocMeta::default();
        let mut have_main = false;
        let mut note = |count: usize, weight: u8| {
            if count > 0 && (!have_main || weight > meta.main_weight) {
                have_main = true;
                meta = DocMeta {
                    main_len: count.min(255) as u8,
                    main_weight: weight,
                };
            }
        };
        for &(text, weight) in fields {
            let mut count = 0usize;
            for tok in self.tokenizer.run(text) {
                count += 1;
                let id = term_id(&mut self.vocab, tok);
                self.scratch.push((id, weight));
            }
            note(count, weight);
        }
        for &(text, weight) in repeated {
            let terms = match self.memo.get(text) {
                Some(t) => t,
                None => {
                    let ids: Box<[u32]> = self
                        .tokenizer
                        .run(text)
                        .map(|tok| term_id(&mut self.vocab, tok))
                        .collect();
                    self.memo.entry(text.into()).or_insert(ids)
                }
            };
            self.scratch.extend(terms.iter().map(|&id| (id, weight)));
            note(terms.len(), weight);
        }
        // One entry per term, with its highest weight.
        self.scratch
            .sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        self.scratch.dedup_by_key(|e| e.0);
        for &(t, w) in &self.scratch {
            self.entry_terms.push(t);
            self.entry_weights.push(w);
        }
        self.doc_ids.push(doc);
        self.doc_meta.push(meta);
        self.doc_ends.push(self.entry_terms.len());
    }

    /// Builds the index: dictionary, posting lists, per-document data. Linear in the number of
    /// postings apart from sorting the vocabulary and the doc ids.
    pub fn build(self) -> TextIndex {
        let TextIndexBuilder {
            vocab,
            doc_ids,
            doc_meta,
            doc_ends,
            mut entry_terms,
            entry_weights,
            ..
        } = self;

        // Terms in lexicographic order: term id = rank.
        let mut terms: Vec<(Box<str>, u32)> = vocab.into_iter().collect();
        terms.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut remap = vec![0u32; terms.len()];
        for (rank, (_, provisional)) in terms.iter().enumerate() {
            remap[*provisional as usize] = rank as u32;
        }
        for t in &mut entry_terms {
            *t = remap[*t as usize];
        }
        drop(remap);
        let term_lens: Vec<u8> = terms.iter().map(|(k, _)| k.len().min(255) as u8).collect();
        let dict = Map::from_iter(
            terms
                .iter()
                .enumerate()
                .map(|(rank, (k, _))| (k.as_bytes(), rank as u64)),
        )
        .expect("keys are sorted and unique");
        let n_terms = terms.len();
        drop(terms);

        // Internal doc numbers follow the external ids' order; duplicate ids are merged.
        let mut order: Vec<u32> = (0..doc_ids.len() as u32).collect();
        order.sort_unstable_by_key(|&s| (doc_ids[s as usize], s));
        let mut docs: Vec<u32> = Vec::with_capacity(order.len());
        let mut meta: Vec<DocMeta> = Vec::with_capacity(order.len());
        // Per internal doc: the `add` calls that make it, as a range of `order`.
        let mut groups: Vec<(usize, usize)> = Vec::with_capacity(order.len());
        let mut i = 0;
        while i < order.len() {
            let id = doc_ids[order[i] as usize];
            let mut j = i + 1;
            while j < order.len() && doc_ids[order[j] as usize] == id {
                j += 1;
            }
            docs.push(id);
            meta.push(doc_meta[order[i] as usize]);
            groups.push((i, j));
            i = j;
        }
        let entries = |s: u32| {
            let start = if s == 0 { 0 } else { doc_ends[s as usize - 1] };
            start..doc_ends[s as usize]
        };
        let mut scratch: Vec<(u32, u8)> = Vec::new();
        let mut for_each_doc = |f: &mut dyn FnMut(u32, u32, u8)| {
            for (d, &(a, b)) in groups.iter().enumerate() {
                if b - a == 1 {
                    for e in entries(order[a]) {
                        f(d as u32, entry_terms[e], entry_weights[e]);
                    }
                } else {
                    scratch.clear();
                    for &s in &order[a..b] {
                        scratch.extend(entries(s).map(|e| (entry_terms[e], entry_weights[e])));
                    }
                    scratch.sort_unstable_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(&x.1)));
                    scratch.dedup_by_key(|e| e.0);
                    for &(t, w) in scratch.iter() {
                        f(d as u32, t, w);
                    }
                }
            }
        };

        // Counting sort of postings by term; docs come in increasing order within each term.
        let mut offsets = vec![0u32; n_terms + 1];
        for_each_doc(&mut |_, t, _| offsets[t as usize + 1] += 1);
        for k in 1..offsets.len() {
            offsets[k] += offsets[k - 1];
        }
        let total = offsets[n_terms] as usize;
        let mut postings = vec![0u32; total];
        let mut weights = vec![0u8; total];
        let mut cursor = offsets.clone();
        for_each_doc(&mut |d, t, w| {
            let c = &mut cursor[t as usize];
            postings[*c as usize] = d;
            weights[*c as usize] = w;
            *c += 1;
        });

        TextIndex {
            dict: Map::new(Slab::from(dict.into_fst().into_inner())).expect("just built"),
            term_lens: term_lens.into(),
            offsets: offsets.into(),
            postings: postings.into(),
            weights: weights.into(),
            docs: docs.into(),
            meta: meta.into(),
        }
    }
}

/// One search result: the caller's doc id and its relevance (higher is better).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub doc: u32,
    pub score: f32,
}

/// An immutable text index; see the [module documentation](self).
///
/// ```
/// use maillage::index::text::TextIndexBuilder;
/// let mut b = TextIndexBuilder::new();
/// b.add(1, &[("Dr Martin", 3), ("Albi", 1)]);
/// b.add(2, &[("Dr Martinez", 3), ("Albi", 1)]);
/// let index = b.build();
/// let hits = index.search("martin", 10, |_| true);
/// assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), vec![1, 2]);
/// ```
pub struct TextIndex {
    /// Token → term id (its lexicographic rank).
    dict: Map<Slab<u8>>,
    /// Length in bytes of each term (saturating at 255).
    term_lens: Slab<u8>,
    /// Postings of term `t` are `postings[offsets[t]..offsets[t + 1]]`.
    offsets: Slab<u32>,
    /// Internal doc numbers, sorted within each term.
    postings: Slab<u32>,
    /// Field weight of each posting.
    weights: Slab<u8>,
    /// External doc id of each internal doc number, increasing.
    docs: Slab<u32>,
    meta: Slab<DocMeta>,
}

/// The arrays of a [`TextIndex`], to store it and use it in place (see [`crate::util::slab`]).
#[derive(Debug, Clone, Default)]
pub struct TextParts {
    /// The `fst` bytes of the dictionary.
    pub dict: Slab<u8>,
    pub term_lens: Slab<u8>,
    pub offsets: Slab<u32>,
    pub postings: Slab<u32>,
    pub weights: Slab<u8>,
    pub docs: Slab<u32>,
    pub meta: Slab<DocMeta>,
}

/// Why stored arrays do not make a text index.
#[derive(Debug, thiserror::Error)]
pub enum TextPartsError {
    #[error("dictionnaire de la recherche illisible : {0}")]
    Dictionary(#[from] fst::Error),
    #[error("index de recherche incohérent : {0}")]
    Inconsistent(&'static str),
}

impl Default for TextIndex {
    fn default() -> Self {
        TextIndexBuilder::new().build()
    }
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextIndex")
            .field("docs", &self.docs.len())
            .field("terms", &self.term_lens.len())
            .field("postings", &self.postings.len())
            .finish()
    }
}

/// A hit ordered by rank: greater is better (higher score, then lower doc id).
#[derive(Debug, Clone, Copy)]
struct Ranked(Hit);

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .score
            .total_cmp(&other.0.score)
            .then(other.0.doc.cmp(&self.0.doc))
    }
}

/// A dictionary term matched by a query token, with the match quality.
#[derive(Debug, Clone, Copy)]
struct TermMatch {
    term: u32,
    quality: f32,
}

/// A candidate completion of a prefix (see [`TextIndex::expand`]).
struct Completion {
    /// Documents holding it (in the whole, with changes).
    df: usize,
    /// Lexicographic rank: `(term id, u32::MAX)` for a term of this index, `(id of the next
    /// term of this index, its id in the extra index)` for a term only in the extra one.
    order: (u32, u32),
    here: Option<u32>,
    extra: Option<u32>,
}

/// Per-token scores are rounded to multiples of 1/`SCORE_SCALE` (a power of two), so that a
/// doc's score, their sum, is exact in any order: indexes searched as one
/// ([`TextIndex::search_with`]) add a doc's token scores in different orders.
const SCORE_SCALE: f32 = 4096.0;

/// The score of a term match of quality `q` in a field of weight `w`.
fn token_score(q: f32, w: u8) -> f32 {
    (q * f32::from(w) * SCORE_SCALE).round() / SCORE_SCALE
}

/// Term frequencies that changes bring to an index searched with them
/// ([`TextIndex::search_with`]): per term, the docs added (an extra index) minus the docs
/// removed.
#[derive(Debug, Clone, Default)]
pub struct TermDelta(BTreeMap<Box<str>, i32>);

impl TermDelta {
    /// The changes of `added` (the extra index) and `removed` (the texts of each removed doc,
    /// as they were given to [`TextIndexBuilder::add_with_repeated`], fields and repeated
    /// ones together).
    pub fn new<'a, D: IntoIterator<Item = &'a str>>(
        added: &TextIndex,
        removed: impl IntoIterator<Item = D>,
    ) -> TermDelta {
        let mut m: BTreeMap<Box<str>, i32> = BTreeMap::new();
        let mut s = added.dict.stream();
        while let Some((term, v)) = s.next() {
            let term = String::from_utf8_lossy(term);
            *m.entry(term.into()).or_default() += added.doc_freq(v as u32) as i32;
        }
        let mut tokenizer = Tokenizer::default();
        let mut doc: Vec<String> = Vec::new();
        for texts in removed {
            doc.clear();
            for text in texts {
                doc.extend(tokenizer.run(text).map(str::to_string));
            }
            doc.sort_unstable();
            doc.dedup();
            for t in &doc {
                *m.entry(t.as_str().into()).or_default() -= 1;
            }
        }
        m.retain(|_, n| *n != 0);
        TermDelta(m)
    }

    fn get(&self, term: &str) -> i64 {
        self.0.get(term).map_or(0, |&n| i64::from(n))
    }

    /// The changed terms starting with `prefix`.
    fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, i32)> + 'a {
        self.0
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(k, &n)| (&**k, n))
    }

    /// Approximate heap bytes.
    pub fn heap_bytes(&self) -> usize {
        self.0.keys().map(|k| k.len() + 40).sum()
    }
}

/// Matching candidates: internal doc numbers (sorted), score and name-field hits.
struct Candidates {
    docs: Vec<u32>,
    scores: Vec<f32>,
    main_hits: Vec<u8>,
}

impl TextIndex {
    /// AND semantics: every query token must match a token of the doc (exact, prefix, or one
    /// edit for tokens of ≥ 4 chars, the last query token as a prefix). Ranked by score
    /// (exact > prefix > typo, weighted by field weight), ties by doc id; at most `limit` hits,
    /// only docs where `keep(doc)` is true.
    ///
    /// Prefix matching applies to the last query token, and to any other token that is not
    /// itself a known word; a prefix uses at most its 64 most frequent completions, and a
    /// prefix of one or two characters at most 16 that together hold at most 100,000
    /// postings (a first keystroke must stay cheap). An empty query (or one made only of
    /// punctuation) finds nothing.
    ///
    /// ```
    /// use maillage::index::text::TextIndexBuilder;
    /// let mut b = TextIndexBuilder::new();
    /// b.add(1, &[("EHPAD Les Tilleuls", 3), ("Albi", 1)]);
    /// b.add(2, &[("EHPAD La Roseraie", 3), ("Gaillac", 1)]);
    /// let index = b.build();
    /// let hits = index.search("ehpad", 10, |doc| doc != 1);
    /// assert_eq!(hits.len(), 1);
    /// assert_eq!(hits[0].doc, 2);
    /// ```
    pub fn search(&self, query: &str, limit: usize, keep: impl Fn(u32) -> bool) -> Vec<Hit> {
        if limit == 0 {
            return Vec::new();
        }
        let tokens = query_tokens(query);
        let (plan, _) = self.expand_all(None, &tokens);
        self.rank(self.candidates(plan), tokens.len(), limit, keep)
    }

    /// [`TextIndex::search`] over this index with changes, as one index of the live docs
    /// would answer: `extra` holds the docs added, `delta` ([`TermDelta::new`]) the term
    /// frequencies they change, and `keep` drops the docs removed from this index. Each query
    /// token matches the terms (completions of a prefix included) that one index would
    /// choose; the hits of both indexes are returned, to be merged by score then doc.
    pub fn search_with(
        &self,
        extra: &TextIndex,
        delta: &TermDelta,
        query: &str,
        limit: usize,
        keep: impl Fn(u32) -> bool,
        keep_extra: impl Fn(u32) -> bool,
    ) -> (Vec<Hit>, Vec<Hit>) {
        if limit == 0 {
            return (Vec::new(), Vec::new());
        }
        let tokens = query_tokens(query);
        let (plan, extra_plan) = self.expand_all(Some((extra, delta)), &tokens);
        (
            self.rank(self.candidates(plan), tokens.len(), limit, keep),
            extra.rank(
                extra.candidates(extra_plan),
                tokens.len(),
                limit,
                keep_extra,
            ),
        )
    }

    /// [`TextIndex::matching`] over this index with changes (see [`TextIndex::search_with`]):
    /// the matching docs of this index (removed ones included, for the caller to drop) and of
    /// `extra`.
    pub fn matching_with(
        &self,
        extra: &TextIndex,
        delta: &TermDelta,
        query: &str,
    ) -> (Vec<u32>, Vec<u32>) {
        let (plan, extra_plan) = self.expand_all(Some((extra, delta)), &query_tokens(query));
        (
            self.docs_of(self.candidates(plan)),
            extra.docs_of(extra.candidates(extra_plan)),
        )
    }

    /// The best `limit` candidates that `keep` accepts, best first.
    fn rank(
        &self,
        c: Option<Candidates>,
        n_tokens: usize,
        limit: usize,
        keep: impl Fn(u32) -> bool,
    ) -> Vec<Hit> {
        let Some(c) = c else {
            return Vec::new();
        };
        let n_tokens = n_tokens.max(1) as f32;
        // Bounded min-heap of the best hits so far; `keep` is only asked about docs that
        // would enter it.
        let mut heap: BinaryHeap<Reverse<Ranked>> =
            BinaryHeap::with_capacity(limit.min(c.docs.len()) + 1);
        for (i, &d) in c.docs.iter().enumerate() {
            let main_len = f32::from(self.meta[d as usize].main_len).max(n_tokens);
            let bonus = NAME_COVERAGE_BONUS * f32::from(c.main_hits[i]) / main_len;
            let r = Ranked(Hit {
                doc: self.docs[d as usize],
                score: c.scores[i] + bonus,
            });
            if heap.len() == limit && heap.peek().is_some_and(|w| r <= w.0) {
                continue;
            }
            if !keep(r.0.doc) {
                continue;
            }
            heap.push(Reverse(r));
            if heap.len() > limit {
                heap.pop();
            }
        }
        let mut hits: Vec<Hit> = heap.into_iter().map(|r| r.0 .0).collect();
        hits.sort_unstable_by_key(|h| Reverse(Ranked(*h)));
        hits
    }

    /// External doc ids of candidates.
    fn docs_of(&self, c: Option<Candidates>) -> Vec<u32> {
        match c {
            Some(c) => c.docs.iter().map(|&d| self.docs[d as usize]).collect(),
            None => Vec::new(),
        }
    }

    /// All docs matching (no limit) as a sorted `Vec<u32>` — used to combine `q=` with other
    /// filters. Same matching rules as [`TextIndex::search`].
    ///
    /// ```
    /// use maillage::index::text::TextIndexBuilder;
    /// let mut b = TextIndexBuilder::new();
    /// b.add(30, &[("Pharmacie du Centre", 3), ("Gaillac", 1)]);
    /// b.add(10, &[("Pharmacie de la Gare", 3), ("Gaillac", 1)]);
    /// b.add(20, &[("Pharmacie Saint-Jean", 3), ("Albi", 1)]);
    /// assert_eq!(b.build().matching("pharmacie gaillac"), vec![10, 30]);
    /// ```
    pub fn matching(&self, query: &str) -> Vec<u32> {
        let (plan, _) = self.expand_all(None, &query_tokens(query));
        self.docs_of(self.candidates(plan))
    }

    /// Number of documents.
    ///
    /// ```
    /// assert_eq!(maillage::index::text::TextIndex::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// True when the index holds no document.
    ///
    /// ```
    /// assert!(maillage::index::text::TextIndex::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Heap memory held by the index, in bytes.
    ///
    /// ```
    /// use maillage::index::text::TextIndexBuilder;
    /// let mut b = TextIndexBuilder::new();
    /// b.add(1, &[("Maison de santé de Gaillac", 3)]);
    /// assert!(b.build().heap_bytes() > 0);
    /// ```
    pub fn heap_bytes(&self) -> usize {
        self.dict.as_fst().as_inner().heap_bytes()
            + self.term_lens.heap_bytes()
            + self.offsets.heap_bytes()
            + self.postings.heap_bytes()
            + self.weights.heap_bytes()
            + self.docs.heap_bytes()
            + self.meta.heap_bytes()
    }

    /// Bytes of the index's arrays, in memory or in a mapped file.
    pub fn bytes(&self) -> usize {
        self.dict.as_fst().as_bytes().len()
            + self.term_lens.len()
            + self.offsets.as_bytes().len()
            + self.postings.as_bytes().len()
            + self.weights.len()
            + self.docs.as_bytes().len()
            + self.meta.as_bytes().len()
    }

    /// The index's arrays, to store them.
    pub fn parts(&self) -> TextParts {
        TextParts {
            dict: self.dict.as_fst().as_inner().clone(),
            term_lens: self.term_lens.clone(),
            offsets: self.offsets.clone(),
            postings: self.postings.clone(),
            weights: self.weights.clone(),
            docs: self.docs.clone(),
            meta: self.meta.clone(),
        }
    }

    /// An index over stored arrays ([`TextIndex::parts`]), checked for consistent lengths
    /// and offsets so that no query can read out of bounds.
    pub fn from_parts(p: TextParts) -> Result<TextIndex, TextPartsError> {
        let bad = TextPartsError::Inconsistent;
        let dict = Map::new(p.dict)?;
        let terms = p.term_lens.len();
        if dict.len() != terms || p.offsets.len() != terms + 1 {
            return Err(bad("nombre de termes"));
        }
        if p.offsets.first().copied().unwrap_or(0) != 0
            || p.offsets.windows(2).any(|w| w[0] > w[1])
            || p.offsets[terms] as usize != p.postings.len()
            || p.weights.len() != p.postings.len()
        {
            return Err(bad("listes de documents"));
        }
        let docs = p.docs.len();
        if p.meta.len() != docs || p.postings.find(|&d| d as usize >= docs).is_some() {
            return Err(bad("documents"));
        }
        Ok(TextIndex {
            dict,
            term_lens: p.term_lens,
            offsets: p.offsets,
            postings: p.postings,
            weights: p.weights,
            docs: p.docs,
            meta: p.meta,
        })
    }

    /// Whether some document id is `n` or more (a stored index that does not fit its
    /// documents).
    pub fn has_doc_from(&self, n: usize) -> bool {
        self.docs.find(|&d| d as usize >= n).is_some()
    }

    fn posting_range(&self, term: u32) -> std::ops::Range<usize> {
        self.offsets[term as usize] as usize..self.offsets[term as usize + 1] as usize
    }

    fn doc_freq(&self, term: u32) -> usize {
        (self.offsets[term as usize + 1] - self.offsets[term as usize]) as usize
    }

    /// First term id whose token is ≥ `key` (the number of terms when none).
    fn lower_bound(&self, key: &[u8]) -> u32 {
        let mut s = self.dict.range().ge(key).into_stream();
        match s.next() {
            Some((_, v)) => v as u32,
            None => self.term_lens.len() as u32,
        }
    }

    /// The terms each query token matches, in this index and (with changes) in the extra
    /// one: see [`TextIndex::expand`].
    fn expand_all(
        &self,
        extra: Option<(&TextIndex, &TermDelta)>,
        tokens: &[String],
    ) -> (Vec<Vec<TermMatch>>, Vec<Vec<TermMatch>>) {
        let last = tokens.len().saturating_sub(1);
        tokens
            .iter()
            .enumerate()
            .map(|(i, t)| self.expand(extra, t, i == last))
            .unzip()
    }

    /// Dictionary terms matching one query token, here and in `extra` (empty without).
    ///
    /// The choices that depend on term frequencies (is the token a known word; which
    /// completions of a prefix) are made over the whole: this index's frequencies changed by
    /// `delta`, plus the terms found only in `extra`; terms whose docs were all removed are
    /// no longer words. So this index with its changes matches the terms one index of the
    /// live docs would.
    fn expand(
        &self,
        extra: Option<(&TextIndex, &TermDelta)>,
        tok: &str,
        as_prefix: bool,
    ) -> (Vec<TermMatch>, Vec<TermMatch>) {
        let (mut out, mut out_extra) = (Vec::new(), Vec::new());
        let delta = |term: &str| extra.map_or(0, |(_, d)| d.get(term));
        let exact = self.dict.get(tok).map(|v| v as u32);
        let exact_extra = extra.and_then(|(x, _)| x.dict.get(tok).map(|v| v as u32));
        let exact_df = exact.map_or(0, |t| self.doc_freq(t) as i64) + delta(tok);
        if exact_df > 0 {
            out.extend(exact.map(|term| TermMatch {
                term,
                quality: QUALITY_EXACT,
            }));
            out_extra.extend(exact_extra.map(|term| TermMatch {
                term,
                quality: QUALITY_EXACT,
            }));
        }
        // Prefix: the contiguous id range of tokens starting with `tok`, exact one excluded.
        let mut prefix_range = 0..0;
        let mut extra_range = 0..0;
        if as_prefix || exact_df <= 0 {
            let mut upper = tok.as_bytes().to_vec();
            // Tokens are ASCII alphanumerics: the last byte can be incremented.
            if let Some(last) = upper.last_mut() {
                *last += 1;
            }
            let (lo, hi) = (self.lower_bound(tok.as_bytes()), self.lower_bound(&upper));
            prefix_range = lo..hi;
            // Changed frequencies of this index's completions, and the completions found
            // only in `extra`.
            let mut changed: HashMap<u32, i64> = HashMap::new();
            let mut in_extra: HashMap<u32, u32> = HashMap::new();
            let mut completions: Vec<Completion> = Vec::new();
            if let Some((x, d)) = extra {
                for (term, n) in d.with_prefix(tok) {
                    if let Some(t) = self.dict.get(term) {
                        changed.insert(t as u32, i64::from(n));
                    }
                }
                extra_range = x.lower_bound(tok.as_bytes())..x.lower_bound(&upper);
                let mut s = x.dict.range().ge(tok).lt(&upper).into_stream();
                while let Some((term, v)) = s.next() {
                    let xt = v as u32;
                    match self.dict.get(term) {
                        Some(t) => {
                            in_extra.insert(t as u32, xt);
                        }
                        None if term != tok.as_bytes() => completions.push(Completion {
                            df: x.doc_freq(xt),
                            // Just before the first term of this index that follows it.
                            order: (self.lower_bound(term), xt),
                            here: None,
                            extra: Some(xt),
                        }),
                        None => {}
                    }
                }
            }
            for t in lo..hi {
                let df = self.doc_freq(t) as i64 + changed.get(&t).copied().unwrap_or(0);
                if Some(t) != exact && df > 0 {
                    completions.push(Completion {
                        df: df as usize,
                        order: (t, u32::MAX),
                        here: Some(t),
                        extra: in_extra.get(&t).copied(),
                    });
                }
            }
            let short = tok.len() <= 2;
            let cap = if short {
                MAX_SHORT_PREFIX_TERMS
            } else {
                MAX_PREFIX_TERMS
            };
            let by_freq =
                |a: &Completion, b: &Completion| b.df.cmp(&a.df).then(a.order.cmp(&b.order));
            if short {
                // Most frequent first, skipping those that would overrun the budget.
                completions.sort_unstable_by(by_freq);
                let mut spent = exact_df.max(0) as usize;
                completions.retain(|c| {
                    let fits = spent + c.df <= SHORT_PREFIX_BUDGET;
                    if fits {
                        spent += c.df;
                    }
                    fits
                });
            } else if completions.len() > cap {
                completions.select_nth_unstable_by(cap - 1, by_freq);
            }
            completions.truncate(cap);
            let qlen = tok.len() as f32;
            let quality =
                |len: u8| QUALITY_PREFIX + PREFIX_COVERAGE * qlen / f32::from(len).max(qlen + 1.0);
            for c in completions {
                if let Some(t) = c.here {
                    out.push(TermMatch {
                        term: t,
                        quality: quality(self.term_lens[t as usize]),
                    });
                }
                if let (Some(xt), Some((x, _))) = (c.extra, extra) {
                    out_extra.push(TermMatch {
                        term: xt,
                        quality: quality(x.term_lens[xt as usize]),
                    });
                }
            }
        }
        // One edit, for long enough tokens; terms already matched better are skipped.
        self.typos(tok, exact, &prefix_range, &mut out);
        if let Some((x, _)) = extra {
            x.typos(tok, exact_extra, &extra_range, &mut out_extra);
        }
        (out, out_extra)
    }

    /// Terms within one edit of `tok` (of at least [`MIN_TYPO_LEN`] characters), but `exact`
    /// and the completions range.
    fn typos(
        &self,
        tok: &str,
        exact: Option<u32>,
        prefix_range: &std::ops::Range<u32>,
        out: &mut Vec<TermMatch>,
    ) {
        let len = tok.chars().count();
        if (MIN_TYPO_LEN..=MAX_TYPO_LEN).contains(&len) {
            if let Some(lev) = OneEdit::new(tok) {
                let mut s = self.dict.search(lev).into_stream();
                while let Some((_, v)) = s.next() {
                    let t = v as u32;
                    if Some(t) != exact && !prefix_range.contains(&t) {
                        out.push(TermMatch {
                            term: t,
                            quality: QUALITY_TYPO,
                        });
                    }
                }
            }
        }
    }

    /// Docs matching every query token (`expanded`: the terms of each token), with their
    /// scores; `None` for an empty query.
    fn candidates(&self, expanded: Vec<Vec<TermMatch>>) -> Option<Candidates> {
        if expanded.is_empty() {
            return None;
        }
        let mut expanded: Vec<(usize, Vec<TermMatch>)> = expanded
            .into_iter()
            .map(|m| (m.iter().map(|m| self.doc_freq(m.term)).sum(), m))
            .collect();
        // Rarest token first: it bounds the candidate set. (Scores are sums of multiples of
        // a power of two, exact in any order: the order changes no score.)
        expanded.sort_by_key(|(cost, _)| *cost);

        let mut it = expanded.into_iter();
        let (_, first) = it.next()?;
        let mut c = self.union(&first);
        for (_, matches) in it {
            if c.docs.is_empty() {
                break;
            }
            self.intersect(&mut c, &matches);
        }
        Some(c)
    }

    /// The docs of one token's terms, best match per doc.
    fn union(&self, matches: &[TermMatch]) -> Candidates {
        let total: usize = matches.iter().map(|m| self.doc_freq(m.term)).sum();
        let mut c = Candidates {
            docs: Vec::with_capacity(total),
            scores: Vec::with_capacity(total),
            main_hits: Vec::with_capacity(total),
        };
        if matches.is_empty() {
            return c;
        }
        if let [m] = matches {
            let r = self.posting_range(m.term);
            for (&d, &w) in self.postings[r.clone()].iter().zip(&self.weights[r]) {
                c.docs.push(d);
                c.scores.push(token_score(m.quality, w));
                c.main_hits
                    .push(u8::from(w >= self.meta[d as usize].main_weight));
            }
            return c;
        }
        // Several lists: (doc, score, main) packed in a u64 so that keys sort by doc, then
        // score (non-negative scores' bit patterns sort like the numbers; the lowest bit
        // carries the name-field flag). The other lists are sorted together, then merged with
        // the largest one, which is already in doc order.
        let key = |d: u32, w: u8, q: f32| -> u64 {
            let score = token_score(q, w).max(0.0).to_bits() & !1;
            let main = u32::from(w >= self.meta[d as usize].main_weight);
            u64::from(d) << 32 | u64::from(score | main)
        };
        let big = (0..matches.len())
            .max_by_key(|&j| (self.doc_freq(matches[j].term), std::cmp::Reverse(j)))
            .unwrap_or(0);
        let mut small: Vec<u64> = Vec::with_capacity(total);
        for (j, m) in matches.iter().enumerate() {
            if j != big {
                let r = self.posting_range(m.term);
                for (&d, &w) in self.postings[r.clone()].iter().zip(&self.weights[r]) {
                    small.push(key(d, w, m.quality));
                }
            }
        }
        small.sort_unstable();
        let bm = matches[big];
        let r = self.posting_range(bm.term);
        let mut large = self.postings[r.clone()]
            .iter()
            .zip(&self.weights[r])
            .map(|(&d, &w)| key(d, w, bm.quality))
            .peekable();
        let mut small = small.into_iter().peekable();
        let mut pending: Option<u64> = None;
        let mut emit = |k: u64| {
            let bits = k as u32;
            c.docs.push((k >> 32) as u32);
            c.scores.push(f32::from_bits(bits & !1));
            c.main_hits.push((bits & 1) as u8);
        };
        loop {
            let next = match (large.peek(), small.peek()) {
                (Some(&a), Some(&b)) if a <= b => large.next(),
                (Some(_), Some(_)) => small.next(),
                (Some(_), None) => large.next(),
                (None, _) => small.next(),
            };
            let Some(k) = next else { break };
            pending = match pending {
                Some(p) if p >> 32 == k >> 32 => Some(p.max(k)),
                Some(p) => {
                    emit(p);
                    Some(k)
                }
                None => Some(k),
            };
        }
        if let Some(p) = pending {
            emit(p);
        }
        c
    }

    /// Keeps the candidates that match one of `matches`, adding the best match's score.
    fn intersect(&self, c: &mut Candidates, matches: &[TermMatch]) {
        let n = c.docs.len();
        let mut best = vec![f32::NEG_INFINITY; n];
        let mut main = vec![false; n];
        for m in matches {
            let r = self.posting_range(m.term);
            let (docs, weights) = (&self.postings[r.clone()], &self.weights[r]);
            let mut visit = |ci: usize, pi: usize| {
                let w = weights[pi];
                let s = token_score(m.quality, w);
                if s > best[ci] {
                    best[ci] = s;
                    main[ci] = w >= self.meta[docs[pi] as usize].main_weight;
                }
            };
            if docs.len() <= n {
                let mut from = 0;
                for (pi, d) in docs.iter().enumerate() {
                    let k = from + c.docs[from..].partition_point(|x| x < d);
                    if k < n && c.docs[k] == *d {
                        visit(k, pi);
                    }
                    from = k;
                    if from >= n {
                        break;
                    }
                }
            } else {
                let mut from = 0;
                for (ci, d) in c.docs.iter().enumerate() {
                    let k = from + gallop(&docs[from..], *d);
                    if k < docs.len() && docs[k] == *d {
                        visit(ci, k);
                    }
                    from = k;
                    if from >= docs.len() {
                        break;
                    }
                }
            }
        }
        let mut w = 0;
        for i in 0..n {
            if best[i] > f32::NEG_INFINITY {
                c.docs[w] = c.docs[i];
                c.scores[w] = c.scores[i] + best[i];
                c.main_hits[w] = c.main_hits[i].saturating_add(u8::from(main[i]));
                w += 1;
            }
        }
        c.docs.truncate(w);
        c.scores.truncate(w);
        c.main_hits.truncate(w);
    }
}

/// Terms within one edit (insertion, deletion or substitution of a byte) of an ASCII token,
/// as a bit-parallel automaton: bit `i` of a state mask means "the first `i` query bytes are
/// consumed", with no edit (`.0`) or one edit (`.1`). Building it costs a 2 KiB table, where
/// `fst::automaton::Levenshtein` builds a full DFA (120–250 µs a token measured here).
struct OneEdit {
    /// Bit `i` set in `eq[b]` when query byte `i` is `b`.
    eq: [u64; 256],
    len: u32,
}

impl OneEdit {
    /// `None` for tokens longer than 62 bytes (not representable in the masks).
    fn new(tok: &str) -> Option<OneEdit> {
        let b = tok.as_bytes();
        if b.len() > 62 {
            return None;
        }
        let mut eq = [0u64; 256];
        for (i, &c) in b.iter().enumerate() {
            eq[c as usize] |= 1 << i;
        }
        Some(OneEdit {
            eq,
            len: b.len() as u32,
        })
    }

    fn mask(&self) -> u64 {
        (1u64 << (self.len + 1)) - 1
    }
}

impl Automaton for OneEdit {
    type State = (u64, u64);

    fn start(&self) -> (u64, u64) {
        // Deleting the first query byte is the one edit.
        (1, 2 & self.mask())
    }

    fn is_match(&self, s: &(u64, u64)) -> bool {
        ((s.0 | s.1) >> self.len) & 1 == 1
    }

    fn can_match(&self, s: &(u64, u64)) -> bool {
        s.0 | s.1 != 0
    }

    fn accept(&self, s: &(u64, u64), byte: u8) -> (u64, u64) {
        let mask = self.mask();
        let eq = self.eq[byte as usize];
        let m0 = ((s.0 & eq) << 1) & mask;
        // Match after an edit, substitution, insertion of `byte`, then deletion of a query byte.
        let m1 = (((s.1 & eq) << 1) | (s.0 << 1) | s.0 | (m0 << 1)) & mask;
        (m0, m1)
    }
}

/// Position of the first element ≥ `x` in a sorted slice, by exponential then binary search
/// (cheap when the answer is near the start).
fn gallop(s: &[u32], x: u32) -> usize {
    let mut hi = 1;
    while hi < s.len() && s[hi - 1] < x {
        hi *= 2;
    }
    let lo = hi / 2;
    let hi = hi.min(s.len());
    lo + s[lo..hi].partition_point(|&v| v < x)
}

/// The distinct tokens of a query, in order, at most [`MAX_QUERY_TOKENS`]. The last token is
/// kept even when it repeats an earlier one: it alone is matched as a prefix, and the earlier
/// copy, typed whole, must still match a whole word (`"baa baa"` does not find `baaa`).
fn query_tokens(query: &str) -> Vec<String> {
    let all = tokenize(query);
    let mut out: Vec<String> = Vec::new();
    for (i, t) in all.iter().enumerate() {
        if i + 1 == all.len() || !out.contains(t) {
            out.push(t.clone());
        }
        if out.len() == MAX_QUERY_TOKENS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn index(docs: &[(u32, &[(&str, u8)])]) -> TextIndex {
        let mut b = TextIndexBuilder::new();
        for (id, fields) in docs {
            b.add(*id, fields);
        }
        b.build()
    }

    fn ids(hits: &[Hit]) -> Vec<u32> {
        hits.iter().map(|h| h.doc).collect()
    }

    fn tarn() -> TextIndex {
        index(&[
            (
                1,
                &[("CH d'Albi", 3), ("Centre hospitalier", 1), ("Albi", 1)],
            ),
            (2, &[("EHPAD Les Tilleuls", 3), ("EHPAD", 1), ("Albi", 1)]),
            (3, &[("EHPAD La Roseraie", 3), ("EHPAD", 1), ("Gaillac", 1)]),
            (
                4,
                &[
                    ("Pharmacie du Centre", 3),
                    ("Pharmacie d'officine", 1),
                    ("Gaillac", 1),
                ],
            ),
            (
                5,
                &[
                    ("Pharmacie de la Gare", 3),
                    ("Pharmacie d'officine", 1),
                    ("Albi", 1),
                ],
            ),
            (
                6,
                &[("Mairie de St Juéry", 3), ("Mairie", 1), ("St Juéry", 1)],
            ),
            (
                7,
                &[("Dr Martin", 3), ("Médecin généraliste", 1), ("Castres", 1)],
            ),
            (
                8,
                &[
                    ("Dr Martinez", 3),
                    ("Médecin généraliste", 1),
                    ("Castres", 1),
                ],
            ),
            (
                9,
                &[("Dr Marten", 3), ("Médecin généraliste", 1), ("Castres", 1)],
            ),
            (
                10,
                &[
                    ("SSIAD de l'Albigeois", 3),
                    ("SSIAD", 1),
                    ("Saint-Juéry", 1),
                ],
            ),
        ])
    }

    #[test]
    fn tokens_are_the_words_of_the_one_fold() {
        for s in [
            "ÉCOLE Œuvre Ça",
            "Saint-Juéry",
            "CMP  (Albi)—Nord",
            "日本 x",
            "x’y",
        ] {
            let folded = crate::model::text::fold(s);
            assert_eq!(tokenize(s), folded.split(' ').collect::<Vec<_>>(), "{s}");
        }
    }

    #[test]
    fn tokenize_expands_saint_and_drops_stop_words() {
        assert_eq!(tokenize("St Juéry"), ["saint", "juery"]);
        assert_eq!(tokenize("saint-juery"), ["saint", "juery"]);
        assert_eq!(
            tokenize("Ste Cécile du Cayrou"),
            ["sainte", "cecile", "cayrou"]
        );
        assert_eq!(tokenize("Pharmacie de la Gare"), ["pharmacie", "gare"]);
        assert_eq!(tokenize("l'Isle-sur-Tarn"), ["isle", "tarn"]);
        // Only stop words: kept.
        assert_eq!(tokenize("Le De"), ["le", "de"]);
        assert!(tokenize("  -- ").is_empty());
        assert!(tokenize("").is_empty());
    }

    #[test]
    fn accents_and_case_are_ignored() {
        let ix = tarn();
        assert_eq!(
            ids(&ix.search("MÉDECIN castres martin", 10, |_| true))[0],
            7
        );
        assert_eq!(ix.matching("GÉNÉRALISTE MARTINEZ"), vec![8]);
        assert_eq!(ix.matching("ehpad albi"), vec![2]);
    }

    #[test]
    fn saint_abbreviation_matches_both_ways() {
        let ix = tarn();
        assert_eq!(ix.matching("saint-juery"), vec![6, 10]);
        assert_eq!(ix.matching("St Juery"), vec![6, 10]);
        assert_eq!(ix.matching("mairie saint juéry"), vec![6]);
    }

    #[test]
    fn one_typo_is_tolerated() {
        let ix = tarn();
        assert_eq!(ix.matching("ehpd"), vec![2, 3]);
        assert_eq!(ix.matching("pharmacei gaillac"), Vec::<u32>::new()); // transposition = 2 edits
        assert_eq!(ix.matching("pharmacia gaillac"), vec![4]);
        assert_eq!(ix.matching("roseraei"), Vec::<u32>::new());
        assert_eq!(ix.matching("roseraie gailac"), vec![3]);
        // Short tokens get no typo tolerance.
        assert_eq!(ix.matching("chu"), Vec::<u32>::new());
    }

    #[test]
    fn prefix_matches_last_token() {
        let ix = tarn();
        assert_eq!(ix.matching("pharmacie gail"), vec![4]);
        assert_eq!(ix.matching("ssiad albig"), vec![10]);
        assert_eq!(ix.matching("pharm"), vec![4, 5]);
        // A non-final token that is a known word is not a prefix (`martinez` is two edits away)…
        assert_eq!(ix.matching("martin castres"), vec![7, 9]);
        assert_eq!(ix.matching("castres martin"), vec![7, 8, 9]);
        // …but an unknown one is.
        assert_eq!(ix.matching("pharma albi"), vec![5]);
        assert_eq!(ix.matching("gar pharmacie"), vec![5]);
    }

    #[test]
    fn all_tokens_must_match() {
        let ix = tarn();
        assert_eq!(ix.matching("pharmacie gaillac"), vec![4]);
        assert_eq!(ix.matching("pharmacie albi"), vec![5]);
        assert_eq!(ix.matching("pharmacie castres"), Vec::<u32>::new());
        assert_eq!(ix.matching("ehpad"), vec![2, 3]);
        assert!(ix.matching("").is_empty());
        assert!(ix.search("...", 10, |_| true).is_empty());
    }

    #[test]
    fn exact_beats_prefix_beats_typo() {
        let ix = tarn();
        assert_eq!(ids(&ix.search("martin", 10, |_| true)), vec![7, 8, 9]);
        let hits = ix.search("martin", 10, |_| true);
        assert!(hits[0].score > hits[1].score && hits[1].score > hits[2].score);
    }

    #[test]
    fn name_match_ranks_first() {
        let ix = tarn();
        // `albi` is the name of doc 1 but only the commune of docs 2 and 5; `albigeois` is a
        // prefix of the name of doc 10 (name weight 3 beats an exact commune match, weight 1).
        assert_eq!(ids(&ix.search("albi", 10, |_| true)), vec![1, 10, 2, 5]);
        // Shorter name covering the whole query first.
        let ix = index(&[
            (1, &[("Pharmacie du Centre Commercial", 3), ("Albi", 1)]),
            (2, &[("Pharmacie du Centre", 3), ("Albi", 1)]),
        ]);
        assert_eq!(
            ids(&ix.search("pharmacie du centre", 10, |_| true)),
            vec![2, 1]
        );
    }

    #[test]
    fn ties_go_by_doc_id_and_limit_applies() {
        let ix = index(&[
            (30, &[("EHPAD Les Chênes", 3)]),
            (10, &[("EHPAD Les Pins", 3)]),
            (20, &[("EHPAD Les Saules", 3)]),
        ]);
        assert_eq!(ids(&ix.search("ehpad", 10, |_| true)), vec![10, 20, 30]);
        assert_eq!(ids(&ix.search("ehpad", 2, |_| true)), vec![10, 20]);
        assert!(ix.search("ehpad", 0, |_| true).is_empty());
    }

    #[test]
    fn keep_filters_before_the_limit() {
        let ix = tarn();
        let hits = ix.search("ehpad", 1, |d| d != 2);
        assert_eq!(ids(&hits), vec![3]);
        assert!(ix.search("ehpad", 10, |_| false).is_empty());
    }

    #[test]
    fn duplicate_doc_ids_are_merged() {
        let ix = index(&[(5, &[("EHPAD Les Pins", 3)]), (5, &[("Gaillac", 1)])]);
        assert_eq!(ix.len(), 1);
        assert_eq!(ix.matching("ehpad gaillac"), vec![5]);
    }

    #[test]
    fn short_prefix_is_capped_to_frequent_completions() {
        let mut b = TextIndexBuilder::new();
        // 200 rare words starting with `m`, and `maison` in many docs.
        for i in 0..200u32 {
            let word = format!(
                "m{}",
                ["x", "y", "z", "w"][(i % 4) as usize].repeat(1 + i as usize / 4)
            );
            b.add(i, &[(word.as_str(), 3)]);
        }
        for i in 200..300u32 {
            b.add(i, &[("Maison de santé", 3)]);
        }
        let ix = b.build();
        let found = ix.matching("m");
        assert!(found.contains(&200) && found.contains(&299));
        assert!(found.len() <= 100 + MAX_SHORT_PREFIX_TERMS);
        // A longer prefix is not capped that hard.
        assert_eq!(ix.matching("mx").len(), 1 + MAX_SHORT_PREFIX_TERMS); // exact `mx` too
        assert_eq!(ix.matching("mxx").len(), 49);
    }

    #[test]
    fn a_word_typed_twice_still_needs_the_whole_word() {
        let ix = index(&[(1, &[("baa", 1)]), (2, &[("baaa", 1)])]);
        assert_eq!(ix.matching("baa"), [1, 2]);
        assert_eq!(ix.matching("baa baa"), [1]);
    }

    #[test]
    fn memory_is_accounted() {
        let ix = tarn();
        assert_eq!(ix.len(), 10);
        assert!(ix.heap_bytes() >= ix.postings.len() * 5);
    }

    fn edit_distance(a: &[u8], b: &[u8]) -> usize {
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, &x) in a.iter().enumerate() {
            let mut cur = vec![i + 1; b.len() + 1];
            for (j, &y) in b.iter().enumerate() {
                cur[j + 1] = (prev[j] + usize::from(x != y))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1);
            }
            prev = cur;
        }
        prev[b.len()]
    }

    fn run(a: &OneEdit, term: &[u8]) -> bool {
        let mut s = a.start();
        for &b in term {
            if !a.can_match(&s) {
                return false;
            }
            s = a.accept(&s, b);
        }
        a.is_match(&s)
    }

    #[test]
    fn one_edit_automaton_examples() {
        let a = OneEdit::new("ehpad").unwrap();
        for (t, want) in [
            ("ehpad", true),
            ("ehpd", true),
            ("ehpads", true),
            ("ehpat", true),
            ("xehpad", true),
            ("hpad", true),
            ("ehapd", false),
            ("eh", false),
            ("ehpadxx", false),
        ] {
            assert_eq!(run(&a, t.as_bytes()), want, "{t}");
        }
    }

    proptest! {
        #[test]
        fn one_edit_automaton_matches_edit_distance(q in "[abc]{1,8}", t in "[abc]{0,10}") {
            let a = OneEdit::new(&q).unwrap();
            prop_assert_eq!(run(&a, t.as_bytes()), edit_distance(q.as_bytes(), t.as_bytes()) <= 1);
        }

        #[test]
        fn every_doc_is_found_by_its_own_name(
            names in proptest::collection::vec("[A-Za-zéèàçô' -]{1,30}", 1..40)
        ) {
            let mut b = TextIndexBuilder::new();
            for (i, n) in names.iter().enumerate() {
                b.add(i as u32 * 7, &[(n.as_str(), 3), ("Albi", 1)]);
            }
            let ix = b.build();
            for (i, n) in names.iter().enumerate() {
                if tokenize(n).is_empty() {
                    continue;
                }
                let id = i as u32 * 7;
                prop_assert!(ix.matching(n).contains(&id), "{:?} not found", n);
                let hits = ix.search(n, names.len(), |_| true);
                prop_assert!(hits.iter().any(|h| h.doc == id), "{:?} not ranked", n);
            }
        }

        #[test]
        fn matching_agrees_with_brute_force(
            docs in proptest::collection::vec(
                proptest::collection::vec("[abc]{3,6}", 1..4), 1..30),
            query in proptest::collection::vec("[abc]{3,5}", 1..3),
        ) {
            let mut b = TextIndexBuilder::new();
            for (i, words) in docs.iter().enumerate() {
                b.add(i as u32, &[(words.join(" ").as_str(), 1)]);
            }
            let ix = b.build();
            let vocab: HashSet<&str> = docs.iter().flatten().map(String::as_str).collect();
            let want: Vec<u32> = (0..docs.len() as u32)
                .filter(|&i| {
                    query.iter().enumerate().all(|(qi, q)| {
                        let as_prefix = qi + 1 == query.len() || !vocab.contains(q.as_str());
                        docs[i as usize].iter().any(|t| {
                            t == q
                                || (as_prefix && t.starts_with(q.as_str()))
                                || (q.len() >= 4 && edit_distance(q.as_bytes(), t.as_bytes()) <= 1)
                        })
                    })
                })
                .collect();
            prop_assert_eq!(ix.matching(&query.join(" ")), want);
        }

        #[test]
        fn matching_is_sorted_and_agrees_with_search(q in "[a-e]{1,5}( [a-e]{1,5})?") {
            let ix = tarn();
            let m = ix.matching(&q);
            prop_assert!(m.windows(2).all(|w| w[0] < w[1]));
            let mut s = ids(&ix.search(&q, 100, |_| true));
            s.sort_unstable();
            prop_assert_eq!(s, m);
        }
    }
}
