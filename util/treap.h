/* treap.h - the search tree behind a sorted list: a treap (a binary search
 * tree kept balanced by random priorities) whose in-order walk is the
 * list's order, so that finding a place in a long list costs O(log n)
 * while walking it stays a list walk. The TCP out-of-order queue and the
 * IP fragments of a datagram both use it: a hostile capture can queue
 * millions of pieces behind one hole, in any order.
 *
 * The node is intrusive: a caller puts a struct ss_tnode in its item and
 * keeps its own list; the tree never allocates. Priorities are the node's
 * address, hashed: a capture cannot choose where malloc() puts an item, so
 * it cannot make the tree deep.
 */
#ifndef SS_TREAP_H
#define SS_TREAP_H

struct ss_tnode {
	struct ss_tnode *l, *r, *up; /* up is NULL at the root */
};

/* Links n into the tree right after prev and before next (its neighbours
 * in the list, either NULL), as a leaf: prev's right child when prev has
 * none, else next's left child (next is then the leftmost node of prev's
 * right subtree, and has none), then lifts it by its priority. *root
 * follows the root when root is not NULL (a caller may instead find the
 * root by climbing, ss_treap_root). */
void ss_treap_insert(struct ss_tnode **root, struct ss_tnode *prev, struct ss_tnode *next,
                     struct ss_tnode *n);
/* Unlinks n, the first (leftmost) node: its right subtree takes its place. */
void ss_treap_pop_first(struct ss_tnode **root, struct ss_tnode *n);
/* The root of the tree n is in. */
struct ss_tnode *ss_treap_root(struct ss_tnode *n);

#endif
