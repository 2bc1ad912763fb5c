/** The props of a form that adds one item to a store: the store, what to do with what it created, and how to give up. */
export interface CreateFormProps<Store, Item> {
  store: Store;
  oncreated: (item: Item) => void;
  oncancel: () => void;
}
