/* treap.c - a treap over an intrusive sorted list (treap.h). */
#include "treap.h"

#include <stddef.h>
#include <stdint.h>

/* A node's priority: its address, mixed (splitmix64's finaliser). */
static uint64_t prio(const struct ss_tnode *n)
{
	uint64_t x = (uint64_t)(uintptr_t)n;
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* Lifts x above its parent, keeping the order. */
static void rotate_up(struct ss_tnode **root, struct ss_tnode *x)
{
	struct ss_tnode *p = x->up, *g = p->up;
	if (p->l == x) {
		p->l = x->r;
		if (x->r)
			x->r->up = p;
		x->r = p;
	} else {
		p->r = x->l;
		if (x->l)
			x->l->up = p;
		x->l = p;
	}
	p->up = x;
	x->up = g;
	if (!g) {
		if (root)
			*root = x;
	} else if (g->l == p) {
		g->l = x;
	} else {
		g->r = x;
	}
}

void ss_treap_insert(struct ss_tnode **root, struct ss_tnode *prev, struct ss_tnode *next,
                     struct ss_tnode *n)
{
	n->l = n->r = n->up = NULL;
	if (prev && !prev->r) {
		prev->r = n;
		n->up = prev;
	} else if (next) {
		next->l = n;
		n->up = next;
	} else if (root) {
		*root = n; /* the first node */
	}
	while (n->up && prio(n) > prio(n->up))
		rotate_up(root, n);
}

void ss_treap_pop_first(struct ss_tnode **root, struct ss_tnode *n)
{
	struct ss_tnode *c = n->r;
	if (c)
		c->up = n->up;
	if (n->up)
		n->up->l = c;
	else if (root)
		*root = c;
}

struct ss_tnode *ss_treap_root(struct ss_tnode *n)
{
	while (n->up)
		n = n->up;
	return n;
}
