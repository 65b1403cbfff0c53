import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { NotFoundError } from '../../common/http/domain-error';
import type { Page } from '../../common/http/pagination.dto';
import type { ReadRepository } from '../../database/read-repository';
import type { CreateItemDto, ItemQuery, UpdateItemDto } from '../dto/item.dto';
import { Host } from '../entities/host.entity';
import { Item } from '../entities/item.entity';
import { SyncStatus } from '../entities/sync-status';
import { InventoryWriter } from '../sync/inventory-writer';
import { containsAny, containsPattern } from './like-pattern';

@Injectable()
export class ItemsService {
  constructor(
    @InjectRepository(Item) private readonly items: ReadRepository<Item>,
    @InjectRepository(Host) private readonly hosts: ReadRepository<Host>,
    private readonly writer: InventoryWriter,
  ) {}

  async list(query: ItemQuery): Promise<Page<Item>> {
    const qb = this.items.createQueryBuilder('item').orderBy('item.id', 'ASC');
    if (query.host_id !== undefined) qb.andWhere('item.host_id = :hostId', { hostId: query.host_id });
    if (query.status !== undefined) qb.andWhere('item.status = :status', { status: query.status });
    if (query.state !== undefined) qb.andWhere('item.state = :state', { state: query.state });
    if (query.q) qb.andWhere(containsAny(['item.name', 'item.item_key'], 'q'), { q: containsPattern(query.q) });
    const [items, total] = await qb.take(query.limit).skip(query.offset).getManyAndCount();
    return { items, total, limit: query.limit, offset: query.offset };
  }

  async get(id: number): Promise<Item> {
    const item = await this.items.findOneBy({ id });
    if (!item) throw new NotFoundError(`Item ${id} not found`);
    return item;
  }

  /** The item, which must belong to the host named in the path. */
  async getOnHost(hostId: number, itemId: number): Promise<Item> {
    const item = await this.items.findOneBy({ id: itemId });
    if (!item || item.hostId !== hostId) throw new NotFoundError(`Item ${itemId} not found on host ${hostId}`);
    return item;
  }

  async create(hostId: number, input: CreateItemDto): Promise<Item> {
    if (!(await this.hosts.existsBy({ id: hostId }))) throw new NotFoundError(`Host ${hostId} not found`);
    return this.writer.saveItem(
      this.items.create({
        hostId,
        name: input.name,
        key: input.key,
        valueType: input.value_type ?? 0,
        units: input.units ?? '',
        description: input.description ?? '',
        enabled: input.enabled ?? true,
        externalId: null,
        externalHostId: null,
        lastValue: null,
        lastClock: null,
        state: 'normal',
        stateError: '',
        status: SyncStatus.Inactive,
        statusDescription: '',
        lastSyncAt: null,
      }),
    );
  }

  async update(id: number, changes: UpdateItemDto): Promise<Item> {
    const item = await this.get(id);
    if (changes.name !== undefined) item.name = changes.name;
    if (changes.key !== undefined) item.key = changes.key;
    if (changes.value_type !== undefined) item.valueType = changes.value_type;
    if (changes.units !== undefined) item.units = changes.units;
    if (changes.description !== undefined) item.description = changes.description;
    if (changes.enabled !== undefined) item.enabled = changes.enabled;
    return this.writer.saveItem(item);
  }

  async remove(id: number): Promise<void> {
    await this.get(id);
    await this.writer.deleteItem(id);
  }
}
